using System.Text.Json.Serialization;
using k8s;
using k8s.Models;
using Nestor.Api.Schema;

namespace Nestor.Api.V1Alpha1;

/// <summary>A serving tier: one budget of a model, its runtime pods, its Service and its autoscaling targets.</summary>
[KubernetesEntity(Group = KubeGroup, ApiVersion = KubeApiVersion, Kind = KubeKind, PluralName = KubePluralName)]
[Description("A serving tier: one budget of an ElasticModel, served by a Deployment of runtime pods behind a Service, sized by the operator's autoscaler from the tier's own queue depth and latency (or by spec.replicas, or by an HPA or KEDA through the scale subresource).")]
[ShortNames("bt")]
[Categories(NestorApi.Category)]
[StatusSubresource]
[ScaleSubresource(".spec.replicas", ".status.replicas", ".status.selector")]
[NameConstraint(63, Patterns.Dns1035Label, Reason = "the name is the name of the tier's Service and Deployment")]
[PrinterColumn(1, "Model", "string", ".spec.modelRef.name")]
[PrinterColumn(2, "Budget", "string", ".spec.budget")]
[PrinterColumn(3, "Desired", "integer", ".status.desiredReplicas", Description = "The replicas the tier should have now (autoscaler's decision or spec.replicas).")]
[PrinterColumn(4, "Ready", "integer", ".status.readyReplicas")]
[PrinterColumn(5, "Waiting", "integer", ".status.metrics.waiting", Description = "Requests queued across the tier's pods at the last sample.")]
[PrinterColumn(6, "TTFT-P95", "number", ".status.metrics.ttftP95Ms", Priority = 1, Description = "p95 time to first token over the latency window, in milliseconds.")]
[PrinterColumn(7, "Last-Scale", "string", ".status.lastScaleReason", Priority = 1)]
[PrinterColumn(8, "Digest", "string", ".status.checkpointDigest", Priority = 1)]
[PrinterColumn(9, "Age", "date", ".metadata.creationTimestamp")]
public sealed class BudgetTier : IKubernetesObject<V1ObjectMeta>, ISpec<BudgetTierSpec>, IStatus<BudgetTierStatus?>
{
    public const string KubeGroup = NestorApi.Group;
    public const string KubeApiVersion = NestorApi.Version;
    public const string KubeKind = "BudgetTier";
    public const string KubePluralName = "budgettiers";

    [JsonPropertyName("apiVersion")]
    public string ApiVersion { get; set; } = NestorApi.GroupVersion;

    [JsonPropertyName("kind")]
    public string Kind { get; set; } = KubeKind;

    [JsonPropertyName("metadata")]
    public V1ObjectMeta Metadata { get; set; } = new();

    [JsonPropertyName("spec")]
    [Description("Which budget the tier serves and how.")]
    [Required]
    public BudgetTierSpec Spec { get; set; } = new();

    [JsonPropertyName("status")]
    [Description("What the operator observed and decided. Written only by the operator.")]
    public BudgetTierStatus? Status { get; set; }
}

/// <summary>A list of <see cref="BudgetTier"/> (what a list call returns).</summary>
public sealed class BudgetTierList : IKubernetesObject<V1ListMeta>, IItems<BudgetTier>
{
    [JsonPropertyName("apiVersion")]
    public string ApiVersion { get; set; } = NestorApi.GroupVersion;

    [JsonPropertyName("kind")]
    public string Kind { get; set; } = BudgetTier.KubeKind + "List";

    [JsonPropertyName("metadata")]
    public V1ListMeta Metadata { get; set; } = new();

    [JsonPropertyName("items")]
    public IList<BudgetTier> Items { get; set; } = [];
}
