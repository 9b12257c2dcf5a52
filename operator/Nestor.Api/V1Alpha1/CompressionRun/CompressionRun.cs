using System.Text.Json.Serialization;
using k8s;
using k8s.Models;
using Nestor.Api.Schema;

namespace Nestor.Api.V1Alpha1;

/// <summary>A training run that turns a parent model into an elastic checkpoint with nested budgets.</summary>
[KubernetesEntity(Group = KubeGroup, ApiVersion = KubeApiVersion, Kind = KubeKind, PluralName = KubePluralName)]
[Description("A training run (a Job running `nestor elastify`) that turns a parent model into one elastic checkpoint holding nested budgets: importance estimation, routers, distillation from the parent, and a two-stage curriculum. The result (checkpoint path, digest, per-budget evaluation) lands in status; an ElasticModel whose source.compressionRunRef names the run serves it.")]
[ShortNames("cr")]
[Categories(NestorApi.Category)]
[StatusSubresource]
[NameConstraint(52, Patterns.DnsLabel, Reason = "the name becomes part of the Job's name, its pods' names and labels, and the work folder runs/<namespace>.<name>/")]
[PrinterColumn(1, "Phase", "string", ".status.phase")]
[PrinterColumn(2, "Step", "integer", ".status.progress.step")]
[PrinterColumn(3, "Total", "integer", ".status.progress.totalSteps")]
[PrinterColumn(4, "ETA(s)", "integer", ".status.progress.etaSeconds", Description = "Estimated seconds to completion.")]
[PrinterColumn(5, "Digest", "string", ".status.result.digest", Priority = 1)]
[PrinterColumn(6, "Job", "string", ".status.jobName", Priority = 1)]
[PrinterColumn(7, "Age", "date", ".metadata.creationTimestamp")]
public sealed class CompressionRun : IKubernetesObject<V1ObjectMeta>, ISpec<CompressionRunSpec>, IStatus<CompressionRunStatus?>
{
    public const string KubeGroup = NestorApi.Group;
    public const string KubeApiVersion = NestorApi.Version;
    public const string KubeKind = "CompressionRun";
    public const string KubePluralName = "compressionruns";

    [JsonPropertyName("apiVersion")]
    public string ApiVersion { get; set; } = NestorApi.GroupVersion;

    [JsonPropertyName("kind")]
    public string Kind { get; set; } = KubeKind;

    [JsonPropertyName("metadata")]
    public V1ObjectMeta Metadata { get; set; } = new();

    [JsonPropertyName("spec")]
    [Description("What to train and where. The training configuration cannot change once set; resources, trainer, checkpointIntervalSteps, backoffLimit, suspend and activeDeadlineSeconds can.")]
    [Required]
    public CompressionRunSpec Spec { get; set; } = new();

    [JsonPropertyName("status")]
    [Description("Progress and result. Written only by the operator.")]
    public CompressionRunStatus? Status { get; set; }
}

/// <summary>A list of <see cref="CompressionRun"/> (what a list call returns).</summary>
public sealed class CompressionRunList : IKubernetesObject<V1ListMeta>, IItems<CompressionRun>
{
    [JsonPropertyName("apiVersion")]
    public string ApiVersion { get; set; } = NestorApi.GroupVersion;

    [JsonPropertyName("kind")]
    public string Kind { get; set; } = CompressionRun.KubeKind + "List";

    [JsonPropertyName("metadata")]
    public V1ListMeta Metadata { get; set; } = new();

    [JsonPropertyName("items")]
    public IList<CompressionRun> Items { get; set; } = [];
}
