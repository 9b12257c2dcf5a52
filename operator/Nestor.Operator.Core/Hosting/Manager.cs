using k8s;
using k8s.Models;
using Microsoft.Extensions.Logging;
using Nestor.Operator.Core.Controllers;
using Nestor.Operator.Core.Events;
using Nestor.Operator.Core.Informers;
using Nestor.Operator.Core.Kube;
using Nestor.Operator.Core.Leadership;
using Nestor.Operator.Core.Metrics;

namespace Nestor.Operator.Core.Hosting;

/// <summary>
/// Runs shared informers (one per kind, started at once so caches are warm on every replica) and the
/// controllers (only while this instance holds the leader lease, when leader election is on).
/// </summary>
public sealed class Manager
{
    private readonly Dictionary<Type, IInformer> _informers = [];
    private readonly List<Controller> _controllers = [];
    private readonly ILoggerFactory _loggerFactory;
    private readonly ILogger _logger;
    private Task? _informerTasks;

    public Manager(KubeApiClient api, ManagerOptions options, ILoggerFactory loggerFactory, OperatorMetrics? metrics = null)
    {
        Api = api;
        Options = options;
        _loggerFactory = loggerFactory;
        _logger = loggerFactory.CreateLogger<Manager>();
        Metrics = metrics ?? new OperatorMetrics();
        Events = new EventRecorder(api, "nestor-operator", loggerFactory.CreateLogger<EventRecorder>());
        Elector = options.LeaderElection.Enabled
            ? new LeaseElector(api, options.LeaderElection, loggerFactory.CreateLogger<LeaseElector>(), Metrics)
            : null;
    }

    public KubeApiClient Api { get; }

    public ManagerOptions Options { get; }

    public OperatorMetrics Metrics { get; }

    public EventRecorder Events { get; }

    public LeaseElector? Elector { get; }

    public IReadOnlyList<Controller> Controllers => _controllers;

    /// <summary>True once every informer holds a full list (the operator's /readyz).</summary>
    public bool CachesSynced => _informers.Values.All(i => i.HasSynced);

    /// <summary>False when an informer loop died (the operator's /healthz).</summary>
    public bool Healthy => _informerTasks is not { IsFaulted: true };

    public bool IsLeader => Elector?.IsLeader ?? true;

    /// <summary>The shared informer of a kind (created on first use; create them all before RunAsync).</summary>
    public Informer<T> Informer<T>()
        where T : class, IKubernetesObject<V1ObjectMeta>
    {
        if (!_informers.TryGetValue(typeof(T), out var informer))
        {
            informer = new Informer<T>(Api, Options.Informers with { Namespaces = Options.Namespaces },
                _loggerFactory.CreateLogger($"Informer<{typeof(T).Name}>"), Metrics);
            _informers[typeof(T)] = informer;
        }

        return (Informer<T>)informer;
    }

    public ControllerBuilder<TPrimary> NewController<TPrimary>(string name, IReconciler reconciler)
        where TPrimary : class, IKubernetesObject<V1ObjectMeta> => new(this, name, reconciler);

    internal void Add(Controller controller) => _controllers.Add(controller);

    internal ILogger CreateLogger(string name) => _loggerFactory.CreateLogger(name);

    /// <summary>Runs until the token fires: informers always; controllers while leading.</summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        _informerTasks = Task.WhenAll(_informers.Values.Select(i => i.RunAsync(cancellationToken)));
        var events = Events.RunAsync(cancellationToken);
        if (Elector is null)
        {
            await RunControllersAsync(cancellationToken);
        }
        else
        {
            await Elector.RunAsync(RunControllersAsync, cancellationToken);
        }

        await _informerTasks;
        await events;
    }

    private async Task RunControllersAsync(CancellationToken cancellationToken)
    {
        _logger.LogInformation("Starting {Count} controllers", _controllers.Count);
        await Task.WhenAll(_controllers.Select(c => c.RunAsync(cancellationToken)));
    }
}
