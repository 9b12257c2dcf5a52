using k8s;
using k8s.Models;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Nestor.ApiServer;
using Nestor.Operator.Controllers;
using Nestor.Operator.Controllers.Shared;
using Nestor.Operator.Core.Hosting;
using Nestor.Operator.Core.Kube;
using Nestor.Operator.Core.Metrics;
using Nestor.Testing;
using Prometheus;

namespace Nestor.Operator.Tests.Controllers;

/// <summary>
/// The real controllers on a manager against the in-process API server with the generated CRDs.
/// That server runs no Deployment, Job or pod controllers and no kubelet: the tests play them by
/// creating pods and writing the status of Jobs, Deployments and pods.
/// </summary>
public sealed class OperatorFixture : IAsyncDisposable
{
    public const string Namespace = "nestor-test";
    private readonly CancellationTokenSource _stop = new();
    private Task? _run;

    private OperatorFixture(LocalApiServer server, KubeApiClient api, Manager manager, NestorControllers controllers, CollectorRegistry registry)
    {
        Server = server;
        Api = api;
        Manager = manager;
        Controllers = controllers;
        Registry = registry;
    }

    public LocalApiServer Server { get; }

    /// <summary>The tests' own client (the operator's requests are counted by the server and its manager's metrics).</summary>
    public KubeApiClient Api { get; }

    public Manager Manager { get; }

    public NestorControllers Controllers { get; }

    public CollectorRegistry Registry { get; }

    public static async Task<OperatorFixture> StartAsync(ControllerSettings? settings = null)
    {
        var server = await LocalApiServer.StartAsync(new LocalApiServerOptions { Namespaces = [Namespace] });
        var api = new KubeApiClient(server.ClientConfiguration());
        var crdType = ResourceType.For<V1CustomResourceDefinition>();
        foreach (var file in Directory.GetFiles(RepoPaths.Combine("crds"), "*.yaml"))
        {
            await api.CreateAsync(crdType, KubernetesYaml.Deserialize<V1CustomResourceDefinition>(await File.ReadAllTextAsync(file)), CancellationToken.None);
        }

        var registry = Metrics.NewCustomRegistry();
        var metrics = new OperatorMetrics(registry);
        var operatorApi = new KubeApiClient(server.ClientConfiguration(), metrics);
        ILoggerFactory loggers = Environment.GetEnvironmentVariable("NESTOR_TEST_LOGS") == "1"
            ? LoggerFactory.Create(b => b.AddSimpleConsole(o => o.SingleLine = true).SetMinimumLevel(LogLevel.Debug))
            : NullLoggerFactory.Instance;
        var manager = new Manager(operatorApi, new ManagerOptions { LeaderElection = new() { Enabled = false } }, loggers, metrics);
        var controllers = NestorControllers.Register(manager, settings ?? new ControllerSettings { RuntimeImage = "nestor-runtime:test" }, registry, loggers);
        var fixture = new OperatorFixture(server, api, manager, controllers, registry);
        fixture._run = manager.RunAsync(fixture._stop.Token);
        await Eventually.TrueAsync(() => Task.FromResult(manager.CachesSynced), TimeSpan.FromSeconds(20));
        return fixture;
    }

    public Task<T> CreateAsync<T>(T obj)
        where T : class, IKubernetesObject<V1ObjectMeta>
    {
        obj.Metadata.NamespaceProperty ??= Namespace;
        return Api.CreateAsync(ResourceType.For<T>(), obj, CancellationToken.None);
    }

    public Task<T?> GetAsync<T>(string name)
        where T : class, IKubernetesObject<V1ObjectMeta> => Api.GetAsync<T>(ResourceType.For<T>(), Namespace, name, CancellationToken.None);

    public async Task<T> GetRequiredAsync<T>(string name)
        where T : class, IKubernetesObject<V1ObjectMeta> =>
        await GetAsync<T>(name) ?? throw new InvalidOperationException($"{typeof(T).Name} {name} not found");

    public Task<T> PatchAsync<T>(string name, string mergePatch, string? subresource = null)
        where T : class, IKubernetesObject<V1ObjectMeta> =>
        Api.PatchAsync<T>(ResourceType.For<T>(), Namespace, name, PatchKind.Merge, mergePatch, CancellationToken.None, subresource);

    public Task<bool> DeleteAsync<T>(string name)
        where T : class, IKubernetesObject<V1ObjectMeta> => Api.DeleteAsync(ResourceType.For<T>(), Namespace, name, CancellationToken.None);

    /// <summary>Waits until the object exists and satisfies the predicate; returns it (or fails with the last state seen).</summary>
    public async Task<T> WaitAsync<T>(string name, Func<T, bool> predicate, TimeSpan? timeout = null)
        where T : class, IKubernetesObject<V1ObjectMeta>
    {
        T? last = null;
        var ok = await Eventually.TrueAsync(async () =>
        {
            last = await GetAsync<T>(name);
            return last is not null && predicate(last);
        }, timeout ?? TimeSpan.FromSeconds(15));
        Assert.True(ok, $"{typeof(T).Name} {name} did not reach the expected state; last: {(last is null ? "absent" : KubernetesJson.Serialize(last))}");
        return last!;
    }

    public async Task WaitGoneAsync<T>(string name, TimeSpan? timeout = null)
        where T : class, IKubernetesObject<V1ObjectMeta> =>
        Assert.True(await Eventually.TrueAsync(async () => await GetAsync<T>(name) is null, timeout ?? TimeSpan.FromSeconds(20)),
            $"{typeof(T).Name} {name} was not deleted");

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        if (_run is not null)
        {
            try
            {
                await _run.WaitAsync(TimeSpan.FromSeconds(10));
            }
            catch (Exception e) when (e is OperationCanceledException or TimeoutException)
            {
            }
        }

        Controllers.Dispose();
        Manager.Api.Dispose();
        Api.Dispose();
        await Server.DisposeAsync();
        _stop.Dispose();
    }
}
