using k8s.Models;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Nestor.ApiServer;
using Nestor.Operator.Core.Helpers;
using Nestor.Operator.Core.Hosting;
using Nestor.Operator.Core.Informers;
using Nestor.Operator.Core.Kube;
using Nestor.Operator.Core.Leadership;
using Nestor.Operator.Core.Metrics;
using Nestor.Testing;
using Prometheus;

namespace Nestor.Operator.Core.Tests.Fixtures;

/// <summary>An operator instance with the widget controller, running against a local API server.</summary>
public sealed class WidgetOperator : IAsyncDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private Task? _run;

    private WidgetOperator(KubeApiClient api, Manager manager, WidgetReconciler reconciler)
    {
        Api = api;
        Manager = manager;
        Reconciler = reconciler;
    }

    public KubeApiClient Api { get; }

    public Manager Manager { get; }

    public WidgetReconciler Reconciler { get; }

    /// <summary>Informer timings short enough for tests.</summary>
    public static InformerOptions FastInformers => new()
    {
        WatchTimeout = TimeSpan.FromSeconds(20),
        IdleTimeout = TimeSpan.FromSeconds(20),
        BackoffBase = TimeSpan.FromMilliseconds(20),
        BackoffMax = TimeSpan.FromMilliseconds(500),
    };

    public static WidgetOperator Create(LocalApiServer server, LeaderElectionOptions? leaderElection = null, int workers = 4,
        InformerOptions? informers = null, ILoggerFactory? loggerFactory = null)
    {
        var metrics = new OperatorMetrics(Prometheus.Metrics.NewCustomRegistry());
        var api = new KubeApiClient(server.ClientConfiguration(), metrics);
        var manager = new Manager(api, new ManagerOptions
        {
            Workers = workers,
            LeaderElection = leaderElection ?? new LeaderElectionOptions { Enabled = false },
            Informers = informers ?? FastInformers,
        }, loggerFactory ?? NullLoggerFactory.Instance, metrics);
        var reconciler = new WidgetReconciler(manager.Informer<Widget>().Cache, manager.Informer<V1ConfigMap>().Cache, new ObjectWriter(api));
        manager.NewController<Widget>("widget", reconciler).Owns<V1ConfigMap>().Build();
        return new WidgetOperator(api, manager, reconciler);
    }

    public static async Task InstallCrdAsync(LocalApiServer server, CancellationToken cancellationToken = default)
    {
        using var api = new KubeApiClient(server.ClientConfiguration());
        var crdType = ResourceType.For<V1CustomResourceDefinition>();
        await api.CreateAsync(crdType, Widget.Definition(), cancellationToken);
        var established = await Eventually.TrueAsync(async () =>
            (await api.GetAsync<V1CustomResourceDefinition>(crdType, null, "widgets.test.nestor.dev", cancellationToken))?
                .Status?.Conditions?.Any(c => c.Type == "Established" && c.Status == "True") == true);
        if (!established)
        {
            throw new InvalidOperationException("the widget CRD was not established");
        }
    }

    public void Start() => _run = Task.Run(() => Manager.RunAsync(_stop.Token));

    /// <summary>Stops the instance; a graceful stop releases its leader lease.</summary>
    public async Task StopAsync()
    {
        await _stop.CancelAsync();
        if (_run is not null)
        {
            await _run.WaitAsync(TimeSpan.FromSeconds(30));
        }
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        Api.Dispose();
        _stop.Dispose();
    }
}
