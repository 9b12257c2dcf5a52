using k8s;
using k8s.Models;
using Nestor.Operator.Core.Hosting;
using Nestor.Operator.Core.Informers;
using Nestor.Operator.Core.Kube;

namespace Nestor.Operator.Core.Controllers;

/// <summary>Declares what a controller watches: its primary kind, the kinds it owns, other mapped kinds.</summary>
public sealed class ControllerBuilder<TPrimary>
    where TPrimary : class, IKubernetesObject<V1ObjectMeta>
{
    private readonly Manager _manager;
    private readonly string _name;
    private readonly IReconciler _reconciler;
    private readonly List<Action<Controller>> _wiring = [];
    private readonly List<IInformer> _informers = [];
    private readonly ResourceType _primaryType = ResourceType.For<TPrimary>();
    private int? _workers;

    internal ControllerBuilder(Manager manager, string name, IReconciler reconciler)
    {
        _manager = manager;
        _name = name;
        _reconciler = reconciler;
        var primary = manager.Informer<TPrimary>();
        _informers.Add(primary);
        _wiring.Add(c => primary.AddHandler(new EnqueueHandler<TPrimary>(c, o => [ObjectKey.Of(o)])));
    }

    /// <summary>Children whose controller ownerReference names a TPrimary enqueue that owner.</summary>
    public ControllerBuilder<TPrimary> Owns<TChild>()
        where TChild : class, IKubernetesObject<V1ObjectMeta>
    {
        var kind = _primaryType.Kind;
        var apiVersion = _primaryType.ApiVersion;
        return Watches<TChild>(child => (child.Metadata.OwnerReferences ?? [])
            .Where(r => r.Controller == true && r.Kind == kind && r.ApiVersion == apiVersion)
            .Select(r => new ObjectKey(child.Metadata.NamespaceProperty, r.Name)));
    }

    /// <summary>Any change of a TOther enqueues the keys the map returns.</summary>
    public ControllerBuilder<TPrimary> Watches<TOther>(Func<TOther, IEnumerable<ObjectKey>> map)
        where TOther : class, IKubernetesObject<V1ObjectMeta>
    {
        var informer = _manager.Informer<TOther>();
        if (!_informers.Contains(informer))
        {
            _informers.Add(informer);
        }

        _wiring.Add(c => informer.AddHandler(new EnqueueHandler<TOther>(c, map)));
        return this;
    }

    public ControllerBuilder<TPrimary> WithWorkers(int workers)
    {
        _workers = workers;
        return this;
    }

    public Controller Build()
    {
        var primary = _manager.Informer<TPrimary>();
        var controller = new Controller(_name, _reconciler, _workers ?? _manager.Options.Workers,
            () => primary.Cache.List().Select(ObjectKey.Of), _informers, _manager.Metrics, _manager.CreateLogger($"Controller<{_name}>"));
        foreach (var wire in _wiring)
        {
            wire(controller);
        }

        _manager.Add(controller);
        return controller;
    }
}
