using k8s.Models;
using Nestor.Operator.Core.Informers;
using Nestor.Operator.Core.Kube;

namespace Nestor.Local.Controllers.Common;

/// <summary>
/// Tells a controller's <see cref="Expectations"/> what the pod informer saw: a pod controlled by an
/// owner of <paramref name="ownerKind"/> appeared (a creation observed) or started terminating or
/// vanished (a deletion observed). Register it on the pod informer before the controllers, so the
/// expectations are met before the owner's reconcile runs.
/// </summary>
public sealed class ExpectationsObserver(Expectations expectations, string ownerKind) : IInformerHandler<V1Pod>
{
    public void OnAdd(V1Pod obj)
    {
        if (Owner(obj) is { } owner)
        {
            expectations.CreationObserved(owner);
            if (PodFacts.IsTerminating(obj))
            {
                expectations.DeletionObserved(owner, obj.Metadata.Uid);
            }
        }
    }

    public void OnUpdate(V1Pod oldObj, V1Pod newObj)
    {
        if (PodFacts.IsTerminating(newObj) && Owner(newObj) is { } owner)
        {
            expectations.DeletionObserved(owner, newObj.Metadata.Uid);
        }
    }

    public void OnDelete(V1Pod obj)
    {
        if (Owner(obj) is { } owner)
        {
            expectations.DeletionObserved(owner, obj.Metadata.Uid);
        }
    }

    private ObjectKey? Owner(V1Pod pod) =>
        PodFacts.ControllerOf(pod) is { } reference && reference.Kind == ownerKind
            ? new ObjectKey(pod.Metadata.NamespaceProperty, reference.Name)
            : null;
}
