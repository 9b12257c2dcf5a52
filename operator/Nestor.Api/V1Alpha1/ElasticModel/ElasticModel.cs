using System.Text.Json.Serialization;
using k8s;
using k8s.Models;
using Nestor.Api.Schema;

namespace Nestor.Api.V1Alpha1;

/// <summary>One elastic checkpoint on one weight volume, the budgets inside it and the health of every tier serving it.</summary>
[KubernetesEntity(Group = KubeGroup, ApiVersion = KubeApiVersion, Kind = KubeKind, PluralName = KubePluralName)]
[Description("An elastic checkpoint on a weight volume: where it comes from (a path on the volume, a URI, or a CompressionRun's result), the budgets it holds, the runtime defaults of the tiers that serve it, and in status the checkpoint's digest, its budgets and the health of every tier, so that this one object tells the health of the whole deployment.")]
[ShortNames("em")]
[Categories(NestorApi.Category)]
[StatusSubresource]
[NameConstraint(48, Patterns.DnsLabel, Reason = "the name becomes part of volume paths (checkpoints/<name>/), child object names and OpenAI model ids (<name>@<budget>)")]
[PrinterColumn(1, "Digest", "string", ".status.digestShort", Description = "The first 12 hex digits of the checkpoint's content digest.")]
[PrinterColumn(2, "Budgets", "integer", ".status.budgetCount", Description = "Budgets in the checkpoint.")]
[PrinterColumn(3, "Tiers", "string", ".status.readyTiers", Description = "Ready tiers / tiers.")]
[PrinterColumn(4, "Ready", "string", ".status.conditions[?(@.type==\"Ready\")].status", Description = "Whether the weights are ready and every tier is ready.")]
[PrinterColumn(5, "Reason", "string", ".status.conditions[?(@.type==\"Ready\")].reason", Priority = 1)]
[PrinterColumn(6, "Checkpoint", "string", ".status.checkpoint.path", Priority = 1, Description = "The checkpoint folder, relative to the weight volume's root.")]
[PrinterColumn(7, "Age", "date", ".metadata.creationTimestamp")]
public sealed class ElasticModel : IKubernetesObject<V1ObjectMeta>, ISpec<ElasticModelSpec>, IStatus<ElasticModelStatus?>
{
    public const string KubeGroup = NestorApi.Group;
    public const string KubeApiVersion = NestorApi.Version;
    public const string KubeKind = "ElasticModel";
    public const string KubePluralName = "elasticmodels";

    [JsonPropertyName("apiVersion")]
    public string ApiVersion { get; set; } = NestorApi.GroupVersion;

    [JsonPropertyName("kind")]
    public string Kind { get; set; } = KubeKind;

    [JsonPropertyName("metadata")]
    public V1ObjectMeta Metadata { get; set; } = new();

    [JsonPropertyName("spec")]
    [Description("What the model is and how its tiers run.")]
    [Required]
    public ElasticModelSpec Spec { get; set; } = new();

    [JsonPropertyName("status")]
    [Description("What the operator observed. Written only by the operator.")]
    public ElasticModelStatus? Status { get; set; }
}

/// <summary>A list of <see cref="ElasticModel"/> (what a list call returns).</summary>
public sealed class ElasticModelList : IKubernetesObject<V1ListMeta>, IItems<ElasticModel>
{
    [JsonPropertyName("apiVersion")]
    public string ApiVersion { get; set; } = NestorApi.GroupVersion;

    [JsonPropertyName("kind")]
    public string Kind { get; set; } = ElasticModel.KubeKind + "List";

    [JsonPropertyName("metadata")]
    public V1ListMeta Metadata { get; set; } = new();

    [JsonPropertyName("items")]
    public IList<ElasticModel> Items { get; set; } = [];
}
