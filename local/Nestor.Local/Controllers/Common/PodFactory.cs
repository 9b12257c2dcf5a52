using k8s;
using k8s.Models;
using Nestor.Operator.Core.Helpers;
using Nestor.Operator.Core.Kube;

namespace Nestor.Local.Controllers.Common;

/// <summary>Builds a pod from a controller's pod template (kube's GetPodFromTemplate).</summary>
public static class PodFactory
{
    public static V1Pod FromTemplate(V1PodTemplateSpec template, IKubernetesObject<V1ObjectMeta> owner, string generateNamePrefix)
    {
        var copy = KubeObjects.Clone(template);
        var pod = new V1Pod
        {
            ApiVersion = "v1",
            Kind = "Pod",
            Metadata = new V1ObjectMeta
            {
                GenerateName = generateNamePrefix,
                NamespaceProperty = owner.Metadata.NamespaceProperty,
                Labels = copy.Metadata?.Labels is { } labels ? new Dictionary<string, string>(labels) : new Dictionary<string, string>(),
                Annotations = copy.Metadata?.Annotations is { } annotations ? new Dictionary<string, string>(annotations) : null,
                Finalizers = copy.Metadata?.Finalizers?.ToList(),
            },
            Spec = copy.Spec,
        };
        Ownership.SetController(pod, owner);
        return pod;
    }
}
