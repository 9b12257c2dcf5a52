using k8s;
using k8s.Autorest;
using k8s.Models;
using Nestor.Local.Cluster;
using Nestor.Local.Controllers.Jobs;
using Nestor.Local.Node;
using Nestor.Local.Node.Images;
using Nestor.Testing;

namespace Nestor.Local.Tests;

/// <summary>
/// A <see cref="LocalCluster"/> in a scratch folder with short backoffs, and helpers to build the
/// objects the tests apply. Pods run real processes: python3 (an HTTP server, signal handlers) and sh.
/// </summary>
public sealed class TestCluster : IAsyncDisposable
{
    public const string Namespace = "default";
    // Generous: on a loaded 2-core machine (test projects run side by side) a pod took over 30 s to be reported Failed.
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(90);

    private readonly ScratchDirectory _scratch;

    private TestCluster(ScratchDirectory scratch, LocalCluster cluster)
    {
        _scratch = scratch;
        Cluster = cluster;
        Client = new Kubernetes(cluster.ClientConfiguration());
    }

    public LocalCluster Cluster { get; }

    public Kubernetes Client { get; }

    public string Scratch => _scratch.Path;

    public static async Task<TestCluster> StartAsync(NodeAgentOptions? node = null)
    {
        var scratch = new ScratchDirectory("nestor-local-test");
        var images = new ImageMap()
            .Add("python", new LocalImage(null, ["python3"], []))
            .Add("busybox", LocalImage.Host("sh"));
        var cluster = await LocalCluster.StartAsync(new LocalClusterOptions
        {
            DataDirectory = scratch.Combine("data"),
            Images = images,
            Node = node ?? new NodeAgentOptions
            {
                RestartBackoffBase = TimeSpan.FromMilliseconds(100),
                RestartBackoffMax = TimeSpan.FromSeconds(1),
                ShutdownGracePeriod = TimeSpan.FromSeconds(2),
                RetryInterval = TimeSpan.FromMilliseconds(200),
            },
            Jobs = new JobControllerOptions { BackoffBase = TimeSpan.FromMilliseconds(100), BackoffMax = TimeSpan.FromSeconds(1) },
        });
        return new TestCluster(scratch, cluster);
    }

    public async ValueTask DisposeAsync()
    {
        await Cluster.StopAsync();
        Client.Dispose();
        _scratch.Dispose();
    }

    public static async Task WaitAsync(Func<Task<bool>> condition, string what, TimeSpan? timeout = null) =>
        Assert.True(await Eventually.TrueAsync(condition, timeout ?? Timeout, TimeSpan.FromMilliseconds(100)), $"timed out waiting for {what}");

    public async Task<IList<V1Pod>> PodsAsync(string selector) =>
        (await Client.ListNamespacedPodAsync(Namespace, labelSelector: selector)).Items;

    public async Task<V1Pod?> PodAsync(string name)
    {
        try
        {
            return await Client.ReadNamespacedPodAsync(name, Namespace);
        }
        catch (HttpOperationException e) when (e.Response.StatusCode == System.Net.HttpStatusCode.NotFound)
        {
            return null;
        }
    }

    public static V1EnvVar FieldEnv(string name, string path) =>
        new() { Name = name, ValueFrom = new V1EnvVarSource { FieldRef = new V1ObjectFieldSelector { FieldPath = path } } };

    /// <summary>A container serving its work folder over HTTP on POD_IP:8080, with index.html holding the pod name (and a version).</summary>
    public static V1Container HttpServer(string version = "v1") => new()
    {
        Name = "web",
        Image = "python:3",
        Command = ["sh", "-c", "echo \"$(POD_NAME) $(VERSION)\" > index.html && exec python3 -m http.server --bind \"$(POD_IP)\" 8080"],
        Env = [FieldEnv("POD_IP", "status.podIP"), FieldEnv("POD_NAME", "metadata.name"), new V1EnvVar { Name = "VERSION", Value = version }],
        Ports = [new V1ContainerPort { Name = "http", ContainerPort = 8080 }],
        ReadinessProbe = new V1Probe { HttpGet = new V1HTTPGetAction { Port = "http", Path = "/" }, PeriodSeconds = 1 },
    };

    public static V1Deployment Deployment(string name, int replicas, V1Container container) => new()
    {
        Metadata = new V1ObjectMeta { Name = name, NamespaceProperty = Namespace },
        Spec = new V1DeploymentSpec
        {
            Replicas = replicas,
            Selector = new V1LabelSelector { MatchLabels = new Dictionary<string, string> { ["app"] = name } },
            Template = new V1PodTemplateSpec
            {
                Metadata = new V1ObjectMeta { Labels = new Dictionary<string, string> { ["app"] = name } },
                Spec = new V1PodSpec { Containers = [container], TerminationGracePeriodSeconds = 5 },
            },
        },
    };

    public static V1Job Job(string name, V1Container container, int completions = 1, int parallelism = 1, int backoffLimit = 6, bool indexed = false,
        IList<V1Volume>? volumes = null) => new()
        {
            Metadata = new V1ObjectMeta { Name = name, NamespaceProperty = Namespace },
            Spec = new V1JobSpec
            {
                Completions = completions,
                Parallelism = parallelism,
                BackoffLimit = backoffLimit,
                CompletionMode = indexed ? "Indexed" : "NonIndexed",
                Template = new V1PodTemplateSpec
                {
                    Spec = new V1PodSpec { Containers = [container], RestartPolicy = "Never", Volumes = volumes },
                },
            },
        };

    public static V1Container Shell(string script, string name = "main") => new() { Name = name, Image = "busybox", Command = ["sh", "-c", script] };

    public async Task<HttpResponseMessage> GetAsync(string url)
    {
        using var http = new HttpClient(new SocketsHttpHandler { UseProxy = false, PooledConnectionLifetime = TimeSpan.Zero }) { Timeout = TimeSpan.FromSeconds(5) };
        return await http.GetAsync(new Uri(url));
    }
}
