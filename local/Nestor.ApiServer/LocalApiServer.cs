using System.Net;
using System.Text.Json.Nodes;
using k8s;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Nestor.ApiServer.Faults;
using Nestor.ApiServer.Gc;
using Nestor.ApiServer.Http;
using Nestor.ApiServer.Registry;
using Nestor.ApiServer.Resources;
using Nestor.ApiServer.Storage;
using Nestor.ApiServer.Watch;

namespace Nestor.ApiServer;

/// <summary>
/// A local Kubernetes API server on a loopback address, for tests and the no-cluster mode:
/// <code>
/// await using var server = await LocalApiServer.StartAsync(new LocalApiServerOptions(), ct);
/// var client = new Kubernetes(server.ClientConfiguration());
/// server.WriteKubeconfig(path);           // for kubectl
/// server.Faults.FailNext(5, 500);         // fault injection; server.Requests counts API calls
/// </code>
/// </summary>
public sealed class LocalApiServer : IAsyncDisposable
{
    private static readonly string[] SystemNamespaces = ["default", "kube-system", "kube-public", "kube-node-lease"];

    private readonly WebApplication _app;
    private readonly GarbageCollector _collector;
    private readonly DataFile? _dataFile;
    private readonly CancellationTokenSource _shutdown;
    private readonly ObjectStore _store;

    private LocalApiServer(WebApplication app, Uri baseUrl, ObjectStore store, GarbageCollector collector, DataFile? dataFile,
        CancellationTokenSource shutdown, FaultInjector faults, RequestCounter requests, ObjectRegistry registry)
    {
        _app = app;
        BaseUrl = baseUrl;
        _store = store;
        _collector = collector;
        _dataFile = dataFile;
        _shutdown = shutdown;
        Faults = faults;
        Requests = requests;
        Registry = registry;
    }

    /// <summary>The server's URL, e.g. http://127.0.0.1:41234 (no trailing slash).</summary>
    public Uri BaseUrl { get; }

    public string Url => BaseUrl.ToString().TrimEnd('/');

    /// <summary>Fault injection: errors, delays, dropped watches, compacted history.</summary>
    public FaultInjector Faults { get; }

    /// <summary>Resource requests counted by verb and resource.</summary>
    public RequestCounter Requests { get; }

    internal ObjectRegistry Registry { get; }

    /// <summary>The current (latest) resource version.</summary>
    public long ResourceVersion => _store.State.ResourceVersion;

    /// <summary>How many watches are open now.</summary>
    public int OpenWatches => _store.Hub.OpenWatches;

    public static async Task<LocalApiServer> StartAsync(LocalApiServerOptions? options = null, CancellationToken cancellationToken = default)
    {
        options ??= new LocalApiServerOptions();
        var loggerFactory = options.LoggerFactory ?? NullLoggerFactory.Instance;
        var logger = loggerFactory.CreateLogger("Nestor.ApiServer");
        var hub = new WatchHub(options.HistorySize);
        var store = new ObjectStore(hub);
        var catalog = new ResourceCatalog();
        var registry = new ObjectRegistry(store, catalog, TimeProvider.System, options.ServiceIpPrefix);
        var restored = options.DataFile is not null && DataFile.TryLoad(options.DataFile, store, logger);
        if (restored)
        {
            registry.RefreshCatalog(store.State);
        }

        foreach (var ns in SystemNamespaces.Concat(options.Namespaces).Distinct(StringComparer.Ordinal))
        {
            if (store.State.Get(new GroupResource("", "namespaces"), new ObjectKey("", ns)) is null)
            {
                registry.Create(catalog.Find("", "v1", "namespaces")!, "", new JsonObject { ["metadata"] = new JsonObject { ["name"] = ns } },
                    WriteOptions.System("kube-apiserver"));
            }
        }

        var shutdown = new CancellationTokenSource();
        var faults = new FaultInjector(
            abort => hub.DropAll(abort, "dropped by fault injection"),
            () => store.Read(state =>
            {
                hub.Compact(state.ResourceVersion);
                return state.ResourceVersion;
            }));
        var requests = new RequestCounter();
        var watches = new WatchHandler(registry, options, shutdown.Token);
        var router = new ApiRouter(registry, new ResourceHandler(registry, watches, options.PodLogs), faults, requests, logger);

        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.Services.AddSingleton(loggerFactory);
        builder.WebHost.UseKestrel(kestrel =>
        {
            kestrel.Listen(IPAddress.Parse(options.Address), options.Port);
            kestrel.Limits.MaxRequestBodySize = RequestBody.MaxBytes + 1;
            kestrel.Limits.MinResponseDataRate = null;
            kestrel.AddServerHeader = false;
        });
        var app = builder.Build();
        app.Run(router.HandleAsync);
        await app.StartAsync(cancellationToken);
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        var baseUrl = new Uri(address.Replace("[::]", "127.0.0.1", StringComparison.Ordinal));
        var collector = new GarbageCollector(registry, logger, options.GarbageCollectionResync);
        var dataFile = options.DataFile is null ? null : new DataFile(options.DataFile, store, logger);
        logger.LogInformation("local Kubernetes API server listening on {Url}", baseUrl);
        return new LocalApiServer(app, baseUrl, store, collector, dataFile, shutdown, faults, requests, registry);
    }

    /// <summary>Writes a kubeconfig (context nestor-local, namespace default) for kubectl and KUBECONFIG users.</summary>
    public void WriteKubeconfig(string path) => Kubeconfig.Write(path, Url);

    /// <summary>A KubernetesClient configuration for this server.</summary>
    public KubernetesClientConfiguration ClientConfiguration() => new() { Host = Url, Namespace = "default" };

    public async ValueTask DisposeAsync()
    {
        await _shutdown.CancelAsync();
        _store.Hub.DropAll(abort: false, "server shutting down");
        await _app.StopAsync(TimeSpan.FromSeconds(5));
        await _collector.DisposeAsync();
        if (_dataFile is not null)
        {
            await _dataFile.DisposeAsync();
        }

        await _app.DisposeAsync();
        _shutdown.Dispose();
    }
}
