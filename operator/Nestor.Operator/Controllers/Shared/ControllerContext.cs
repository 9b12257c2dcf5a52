using k8s;
using k8s.Models;
using Nestor.Operator.Core.Events;
using Nestor.Operator.Core.Helpers;
using Nestor.Operator.Core.Hosting;
using Nestor.Operator.Core.Informers;

namespace Nestor.Operator.Controllers.Shared;

/// <summary>What every Nestor reconciler shares: the manager's caches, the writer, events, settings and the clock.</summary>
public sealed class ControllerContext(Manager manager, ControllerSettings settings, TimeProvider? time = null)
{
    public Manager Manager => manager;

    public ObjectWriter Writer { get; } = new(manager.Api);

    public EventRecorder Events => manager.Events;

    public ControllerSettings Settings => settings;

    public TimeProvider Time { get; } = time ?? TimeProvider.System;

    public DateTime UtcNow => Time.GetUtcNow().UtcDateTime;

    public InformerCache<T> Cache<T>()
        where T : class, IKubernetesObject<V1ObjectMeta> => manager.Informer<T>().Cache;
}
