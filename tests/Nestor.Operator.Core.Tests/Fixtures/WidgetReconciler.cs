using System.Collections.Concurrent;
using k8s.Models;
using Nestor.Operator.Core.Controllers;
using Nestor.Operator.Core.Helpers;
using Nestor.Operator.Core.Informers;
using Nestor.Operator.Core.Kube;

namespace Nestor.Operator.Core.Tests.Fixtures;

/// <summary>
/// Ensures a child ConfigMap "&lt;widget&gt;-child" holding spec.value, then writes status. It records
/// how often each key was reconciled and whether a key was ever reconciled twice at once.
/// </summary>
public sealed class WidgetReconciler(InformerCache<Widget> widgets, InformerCache<V1ConfigMap> configMaps, ObjectWriter writer) : IReconciler
{
    private readonly ConcurrentDictionary<ObjectKey, int> _inFlight = new();

    public ConcurrentDictionary<ObjectKey, int> Reconciles { get; } = new();

    public int ConcurrentViolations;

    public TimeSpan Delay { get; set; } = TimeSpan.Zero;

    public async Task<ReconcileResult> ReconcileAsync(ObjectKey key, CancellationToken cancellationToken)
    {
        if (_inFlight.AddOrUpdate(key, 1, (_, n) => n + 1) > 1)
        {
            Interlocked.Increment(ref ConcurrentViolations);
        }

        try
        {
            Reconciles.AddOrUpdate(key, 1, (_, n) => n + 1);
            if (Delay > TimeSpan.Zero)
            {
                await Task.Delay(Delay, cancellationToken);
            }

            var widget = widgets.Get(key);
            if (widget is null || Ownership.IsBeingDeleted(widget))
            {
                return ReconcileResult.Done;
            }

            var childName = widget.Metadata.Name + "-child";
            var child = new V1ConfigMap
            {
                Metadata = new V1ObjectMeta { Name = childName, NamespaceProperty = key.Namespace, Labels = new Dictionary<string, string> { ["widget"] = key.Name } },
                Data = new Dictionary<string, string> { ["value"] = widget.Spec.Value },
            };
            Ownership.SetController(child, widget);
            await writer.EnsureAsync(child, configMaps.Get(key.Namespace, childName), cancellationToken);

            var updated = KubeObjects.Clone(widget);
            updated.Status = new WidgetStatus { ObservedGeneration = widget.Metadata.Generation, Value = widget.Spec.Value, Child = childName };
            await writer.UpdateStatusAsync(widget, updated, cancellationToken);
            return ReconcileResult.Done;
        }
        finally
        {
            _inFlight.AddOrUpdate(key, 0, (_, n) => n - 1);
        }
    }
}
