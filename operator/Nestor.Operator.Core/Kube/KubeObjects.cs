using k8s;

namespace Nestor.Operator.Core.Kube;

public static class KubeObjects
{
    /// <summary>A deep copy through the Kubernetes JSON serializer.</summary>
    public static T Clone<T>(T obj)
        where T : class => KubernetesJson.Deserialize<T>(KubernetesJson.Serialize(obj));
}
