using k8s;
using k8s.Models;

namespace Nestor.Operator.Core.Helpers;

/// <summary>Controller owner references (garbage collection of children) and finalizers.</summary>
public static class Ownership
{
    /// <summary>Makes <paramref name="owner"/> the controller of <paramref name="child"/> (controller and blockOwnerDeletion true).</summary>
    public static void SetController(IKubernetesObject<V1ObjectMeta> child, IKubernetesObject<V1ObjectMeta> owner)
    {
        var references = child.Metadata.OwnerReferences ?? [];
        var existing = references.FirstOrDefault(r => r.Controller == true);
        if (existing is not null && existing.Uid != owner.Metadata.Uid)
        {
            throw new InvalidOperationException(
                $"{child.Kind} {child.Metadata.Name} is already controlled by {existing.Kind} {existing.Name}.");
        }

        references = references.Where(r => r.Uid != owner.Metadata.Uid).ToList();
        references.Add(new V1OwnerReference
        {
            ApiVersion = owner.ApiVersion,
            Kind = owner.Kind,
            Name = owner.Metadata.Name,
            Uid = owner.Metadata.Uid,
            BlockOwnerDeletion = true,
            Controller = true,
        });
        child.Metadata.OwnerReferences = references;
    }

    public static bool IsControlledBy(IKubernetesObject<V1ObjectMeta> child, IKubernetesObject<V1ObjectMeta> owner) =>
        child.Metadata.OwnerReferences?.Any(r => r.Controller == true && r.Uid == owner.Metadata.Uid) == true;

    public static bool HasFinalizer(IKubernetesObject<V1ObjectMeta> obj, string finalizer) =>
        obj.Metadata.Finalizers?.Contains(finalizer) == true;

    public static bool AddFinalizer(IKubernetesObject<V1ObjectMeta> obj, string finalizer)
    {
        if (HasFinalizer(obj, finalizer))
        {
            return false;
        }

        obj.Metadata.Finalizers = [.. obj.Metadata.Finalizers ?? [], finalizer];
        return true;
    }

    public static bool RemoveFinalizer(IKubernetesObject<V1ObjectMeta> obj, string finalizer)
    {
        if (!HasFinalizer(obj, finalizer))
        {
            return false;
        }

        obj.Metadata.Finalizers = obj.Metadata.Finalizers!.Where(f => f != finalizer).ToList();
        return true;
    }

    public static bool IsBeingDeleted(IKubernetesObject<V1ObjectMeta> obj) => obj.Metadata.DeletionTimestamp is not null;
}
