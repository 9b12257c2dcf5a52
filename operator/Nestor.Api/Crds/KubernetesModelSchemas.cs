using k8s.Models;

namespace Nestor.Api.Crds;

/// <summary>
/// What reflection over KubernetesClient's model classes cannot tell: which fields the Kubernetes
/// OpenAPI marks required (the generated classes carry no such marker), and a readable name for
/// docs. Only the types Nestor embeds, and the types they reach, are listed.
/// </summary>
internal static class KubernetesModelSchemas
{
    private static readonly Dictionary<Type, string[]> RequiredFields = new()
    {
        [typeof(V1Condition)] = ["type", "status", "lastTransitionTime", "reason", "message"],
        [typeof(V1EnvVar)] = ["name"],
        [typeof(V1ConfigMapKeySelector)] = ["key"],
        [typeof(V1SecretKeySelector)] = ["key"],
        [typeof(V1ObjectFieldSelector)] = ["fieldPath"],
        [typeof(V1ResourceFieldSelector)] = ["resource"],
        [typeof(V1FileKeySelector)] = ["key", "path", "volumeName"],
        [typeof(V1NodeSelector)] = ["nodeSelectorTerms"],
        [typeof(V1NodeSelectorRequirement)] = ["key", "operator"],
        [typeof(V1LabelSelectorRequirement)] = ["key", "operator"],
        [typeof(V1PreferredSchedulingTerm)] = ["weight", "preference"],
        [typeof(V1PodAffinityTerm)] = ["topologyKey"],
        [typeof(V1WeightedPodAffinityTerm)] = ["weight", "podAffinityTerm"],
        [typeof(Corev1ResourceClaim)] = ["name"],
    };

    public static bool IsKubernetesModel(Type type) => type.Namespace == typeof(V1ObjectMeta).Namespace;

    public static IReadOnlyCollection<string> Required(Type type) => RequiredFields.TryGetValue(type, out var fields) ? fields : [];

    /// <summary>A docs name such as <c>core/v1 Toleration</c> for <see cref="V1Toleration"/>.</summary>
    public static string DisplayName(Type type)
    {
        var name = type.Name;
        var version = name.StartsWith("V1", StringComparison.Ordinal) ? "v1" : "";
        var kind = version.Length > 0 ? name[2..] : name;
        var group = type == typeof(V1Condition) || type == typeof(V1LabelSelector) ? "meta" : "core";
        return version.Length > 0 ? $"{group}/{version} {kind}" : kind;
    }
}
