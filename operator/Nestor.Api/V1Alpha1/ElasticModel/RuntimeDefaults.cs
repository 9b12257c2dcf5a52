using System.Text.Json.Serialization;
using k8s.Models;
using Nestor.Api.Schema;

namespace Nestor.Api.V1Alpha1;

/// <summary>Pod settings shared by every tier of a model; a tier overrides them field by field.</summary>
[Description("Defaults for the runtime pods of every tier of this model. A field set on a BudgetTier replaces the model's value as a whole (maps and lists are not merged).")]
public sealed class RuntimeDefaults
{
    [JsonPropertyName("image")]
    [Description("The runtime image (it runs `nestor serve`). Unset: the image the operator was installed with.")]
    [Length(Max = 1024)]
    public string? Image { get; set; }

    [JsonPropertyName("imagePullPolicy")]
    [Description("The image pull policy. Unset: Kubernetes' default (Always for :latest, else IfNotPresent).")]
    public ImagePullPolicy? ImagePullPolicy { get; set; }

    [JsonPropertyName("imagePullSecrets")]
    [Description("Secrets for pulling the image from a private registry.")]
    [Items(Max = 16)]
    public IList<V1LocalObjectReference>? ImagePullSecrets { get; set; }

    [JsonPropertyName("resources")]
    [Description("CPU, memory and other resources of the runtime container. GPUs are set with gpu, not here.")]
    public V1ResourceRequirements? Resources { get; set; }

    [JsonPropertyName("gpu")]
    [Description("GPUs per runtime pod.")]
    public GpuSpec? Gpu { get; set; }

    [JsonPropertyName("nodeSelector")]
    [Description("Node labels the runtime pods must match.")]
    [Items(Max = 64)]
    public IDictionary<string, string>? NodeSelector { get; set; }

    [JsonPropertyName("tolerations")]
    [Description("Tolerations of the runtime pods (for example of GPU node taints).")]
    [Items(Max = 64)]
    public IList<V1Toleration>? Tolerations { get; set; }

    [JsonPropertyName("affinity")]
    [Description("Scheduling affinity of the runtime pods.")]
    public V1Affinity? Affinity { get; set; }

    [JsonPropertyName("env")]
    [Description("Extra environment variables of the runtime container.")]
    [Items(Max = 128)]
    public IList<V1EnvVar>? Env { get; set; }

    [JsonPropertyName("priorityClassName")]
    [Description("The PriorityClass of the runtime pods.")]
    [Pattern(Patterns.DnsSubdomain)]
    [Length(Max = 253)]
    public string? PriorityClassName { get; set; }
}
