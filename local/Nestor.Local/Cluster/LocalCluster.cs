using System.Net;
using k8s;
using k8s.Models;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Nestor.ApiServer;
using Nestor.Local.Controllers.Common;
using Nestor.Local.Controllers.Deployments;
using Nestor.Local.Controllers.Jobs;
using Nestor.Local.Controllers.Volumes;
using Nestor.Local.Node;
using Nestor.Local.Node.Env;
using Nestor.Local.Node.Images;
using Nestor.Local.Node.Pods;
using Nestor.Local.Node.Probes;
using Nestor.Local.Node.Processes;
using Nestor.Local.Node.Volumes;
using Nestor.Local.Services;
using Nestor.Operator.Core.Events;
using Nestor.Operator.Core.Hosting;
using Nestor.Operator.Core.Kube;
using Nestor.Operator.Core.Leadership;

namespace Nestor.Local.Cluster;

/// <summary>
/// A whole Kubernetes-like cluster in this process: the local API server (with the CRDs installed),
/// the Deployment, Job and PersistentVolumeClaim controllers, a node agent that runs pods as local
/// processes on loopback addresses, and a Service proxy. Start it, point kubectl or an operator at
/// <see cref="KubeconfigPath"/> (or use <see cref="ClientConfiguration"/>), and stop it: every
/// process it started is gone when <see cref="StopAsync"/> returns.
/// </summary>
public sealed class LocalCluster : IAsyncDisposable
{
    private readonly LocalApiServer _server;
    private readonly KubeApiClient _api;
    private readonly Manager _manager;
    private readonly EventRecorder _events;
    private readonly NodeAgent _node;
    private readonly ServiceProxy _proxy;
    private readonly Prober _prober;
    private readonly CancellationTokenSource _stop = new();
    private readonly ILogger _logger;
    private Task? _running;
    private int _stopped;

    private LocalCluster(LocalApiServer server, KubeApiClient api, Manager manager, EventRecorder events, NodeAgent node, ServiceProxy proxy,
        Prober prober, ClusterLayout layout, ImageMap images, IReadOnlyList<string> crds, ILogger logger)
    {
        _server = server;
        _api = api;
        _manager = manager;
        _events = events;
        _node = node;
        _proxy = proxy;
        _prober = prober;
        Layout = layout;
        Images = images;
        Crds = crds;
        _logger = logger;
    }

    public ClusterLayout Layout { get; }

    public string DataDirectory => Layout.DataDirectory;

    /// <summary>The kubeconfig written at start (&lt;data&gt;/kubeconfig), for kubectl and for an operator run as a process.</summary>
    public string KubeconfigPath => Layout.Kubeconfig;

    public Uri ApiUrl => _server.BaseUrl;

    public LocalApiServer ApiServer => _server;

    /// <summary>The image map pods' images resolve through.</summary>
    public ImageMap Images { get; }

    /// <summary>The CRDs installed at start.</summary>
    public IReadOnlyList<string> Crds { get; }

    /// <summary>Pods with processes now (running, starting or terminating).</summary>
    public int ActivePods => _node.ActivePods;

    /// <summary>The pids of every container process running now.</summary>
    public IReadOnlyList<int> RunningPids => _node.RunningPids;

    public KubernetesClientConfiguration ClientConfiguration() => _server.ClientConfiguration();

    /// <summary>The loopback address a Service is proxied on (its clusterIP when that is a loopback address).</summary>
    public IPAddress? ServiceAddress(string @namespace, string name) => _proxy.AddressOf(@namespace, name);

    public static async Task<LocalCluster> StartAsync(LocalClusterOptions options, CancellationToken cancellationToken = default)
    {
        var loggerFactory = options.LoggerFactory ?? NullLoggerFactory.Instance;
        var logger = loggerFactory.CreateLogger<LocalCluster>();
        var layout = new ClusterLayout(options.DataDirectory);
        Directory.CreateDirectory(layout.DataDirectory);
        var orphans = PidFiles.KillOrphans(layout.PodsRoot, logger);
        if (orphans > 0)
        {
            logger.LogWarning("Killed {Count} process(es) left by an earlier run in {Folder}", orphans, layout.PodsRoot);
        }

        var server = await LocalApiServer.StartAsync(new LocalApiServerOptions
        {
            Port = options.ApiServerPort,
            DataFile = options.Persist ? Path.Combine(layout.DataDirectory, "apiserver.json") : null,
            ServiceIpPrefix = options.ServiceIpPrefix,
            Namespaces = options.Namespaces,
            PodLogs = layout.ReadContainerLogAsync,
            LoggerFactory = loggerFactory,
        }, cancellationToken);
        try
        {
            server.WriteKubeconfig(layout.Kubeconfig);
            var api = new KubeApiClient(server.ClientConfiguration());
            var crds = await CrdInstaller.InstallAsync(api, options.CrdPaths, cancellationToken);
            var images = options.Images ?? ImageMap.Defaults(FindRepositoryRoot());
            var manager = new Manager(api, new ManagerOptions
            {
                Workers = options.Workers,
                LeaderElection = new LeaderElectionOptions { Enabled = false },
            }, loggerFactory);
            var events = new EventRecorder(api, "nestor-local", loggerFactory.CreateLogger<EventRecorder>());
            var clock = TimeProvider.System;

            var podInformer = manager.Informer<V1Pod>();
            var deploymentExpectations = new Expectations(clock);
            var jobExpectations = new Expectations(clock);
            podInformer.AddHandler(new ExpectationsObserver(deploymentExpectations, "Deployment"));
            podInformer.AddHandler(new ExpectationsObserver(jobExpectations, "Job"));
            var pods = podInformer.Cache;
            var services = manager.Informer<V1Service>().Cache;
            var claims = manager.Informer<V1PersistentVolumeClaim>().Cache;

            manager.NewController<V1Deployment>("deployment", new DeploymentReconciler(api, manager.Informer<V1Deployment>().Cache, pods,
                    deploymentExpectations, events, clock, loggerFactory.CreateLogger<DeploymentReconciler>()))
                .Owns<V1Pod>().Build();
            manager.NewController<V1Job>("job", new JobReconciler(api, manager.Informer<V1Job>().Cache, pods, jobExpectations, events,
                    options.Jobs, clock, loggerFactory.CreateLogger<JobReconciler>()))
                .Owns<V1Pod>().Build();
            manager.NewController<V1PersistentVolumeClaim>("persistentvolumeclaim", new ClaimBinder(api, claims, pods, layout, options.Claims, events,
                    loggerFactory.CreateLogger<ClaimBinder>()))
                .Watches<V1Pod>(p => (p.Spec?.Volumes ?? []).Where(v => v.PersistentVolumeClaim is not null)
                    .Select(v => new ObjectKey(p.Metadata.NamespaceProperty, v.PersistentVolumeClaim.ClaimName)))
                .Build();

            // Clients inside pods (an operator pod) find the API server as a kubeconfig user would.
            var environment = new Dictionary<string, string>
            {
                ["KUBECONFIG"] = layout.Kubeconfig,
                ["KUBERNETES_SERVICE_HOST"] = server.BaseUrl.Host,
                ["KUBERNETES_SERVICE_PORT"] = server.BaseUrl.Port.ToString(System.Globalization.CultureInfo.InvariantCulture),
            };
            foreach (var (name, value) in options.Node.ExtraEnvironment)
            {
                environment[name] = value;
            }

            var nodeOptions = options.Node with { ExtraEnvironment = environment };
            var enforceReadOnly = options.Node.EnforceReadOnlyMounts ?? HostTools.CanEnforceReadOnlyMounts;
            var prober = new Prober();
            var launcher = new ContainerLauncher(images, new EnvironmentResolver(api), nodeOptions, layout);
            var context = new NodeContext(api, nodeOptions, layout, launcher, new PodVolumes(api), prober, new LoopbackPool(options.Node.PodIpPrefix, AddressLockDirectory),
                services, enforceReadOnly, loggerFactory);
            var node = new NodeAgent(context, pods, loggerFactory.CreateLogger<NodeAgent>());
            manager.NewController<V1Pod>("node", node).WithWorkers(Math.Max(2, options.Workers)).Build();

            var proxy = new ServiceProxy(services, pods, new LoopbackPool(FallbackServicePrefix(options.ServiceIpPrefix), AddressLockDirectory), events,
                loggerFactory.CreateLogger<ServiceProxy>());
            manager.NewController<V1Service>("service-proxy", proxy).Watches<V1Pod>(proxy.ServicesFor).Build();

            var cluster = new LocalCluster(server, api, manager, events, node, proxy, prober, layout, images, crds, logger);
            cluster._running = Task.WhenAll(manager.RunAsync(cluster._stop.Token), events.RunAsync(cluster._stop.Token));
            foreach (var informer in manager.Controllers.SelectMany(c => c.Informers).Distinct())
            {
                await informer.WaitForSyncAsync(cancellationToken);
            }

            logger.LogInformation("Local cluster up: API server {Url}, kubeconfig {Kubeconfig}, read-only mounts {ReadOnly}", server.Url, layout.Kubeconfig,
                enforceReadOnly ? "enforced" : "not enforced");
            return cluster;
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }
    }

    /// <summary>Stops the node agent first (every container gets SIGTERM, then SIGKILL after the shutdown grace period), then the controllers, the proxy and the API server.</summary>
    public async Task StopAsync()
    {
        if (Interlocked.Exchange(ref _stopped, 1) == 1)
        {
            return;
        }

        await _node.StopAsync();
        await _stop.CancelAsync();
        if (_running is not null)
        {
            try
            {
                await _running;
            }
            catch (OperationCanceledException)
            {
            }
        }

        await _proxy.DisposeAsync();
        _prober.Dispose();
        _api.Dispose();
        await _server.DisposeAsync();
        _stop.Dispose();
        _logger.LogInformation("Local cluster stopped");
    }

    public async ValueTask DisposeAsync() => await StopAsync();

    /// <summary>Where every local cluster on this machine claims its loopback addresses.</summary>
    public static string AddressLockDirectory => Path.Combine(Path.GetTempPath(), "nestor-local-addresses");

    /// <summary>The repository root (the folder with Operator.sln) above the working directory or this assembly, if any.</summary>
    public static string? FindRepositoryRoot()
    {
        foreach (var start in new[] { Directory.GetCurrentDirectory(), AppContext.BaseDirectory })
        {
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                if (File.Exists(Path.Combine(dir.FullName, "Operator.sln")))
                {
                    return dir.FullName;
                }
            }
        }

        return null;
    }

    /// <summary>Services whose clusterIP is not a loopback address are served from the next /16 up ("127.96" → "127.97").</summary>
    private static string FallbackServicePrefix(string prefix)
    {
        var parts = prefix.Split('.');
        return parts.Length == 2 && parts[0] == "127" && int.TryParse(parts[1], out var second) && second < 255 ? $"127.{second + 1}" : "127.97";
    }
}
