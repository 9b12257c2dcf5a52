using k8s;
using k8s.Models;

namespace Nestor.Operator.Core.Kube;

/// <summary>What a reconcile request carries: only the namespace and the name (level-triggered).</summary>
public readonly record struct ObjectKey(string? Namespace, string Name)
{
    public static ObjectKey Of(IKubernetesObject<V1ObjectMeta> obj) => new(obj.Metadata.NamespaceProperty, obj.Metadata.Name);

    public override string ToString() => string.IsNullOrEmpty(Namespace) ? Name : $"{Namespace}/{Name}";
}
