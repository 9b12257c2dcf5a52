using System.Text.Json.Serialization;
using Nestor.Api.Schema;

namespace Nestor.Api.V1Alpha1;

/// <summary>The desired state of an <see cref="ElasticModel"/>.</summary>
[Description("The desired state of an ElasticModel.")]
public sealed class ElasticModelSpec
{
    [JsonPropertyName("source")]
    [Description("Where the checkpoint comes from: exactly one of checkpoint, uri, compressionRunRef.")]
    [Required]
    public ModelSource Source { get; set; } = new();

    [JsonPropertyName("weightVolume")]
    [Description("The volume that holds the checkpoint. Every serving pod mounts it read-only at mountPath.")]
    [Immutable("weightVolume is immutable: create a new ElasticModel to move the weights to another volume")]
    [Required]
    public WeightVolume WeightVolume { get; set; } = new();

    [JsonPropertyName("budgets")]
    [Description("The budgets the checkpoint must hold (for example [full, b75, b50]). When set, a checkpoint that lacks one of them is not served and WeightsReady is False with reason MissingBudgets. Unset: whatever the checkpoint holds.")]
    [ListSet]
    [Items(Max = 16)]
    [ItemConstraints(Pattern = Patterns.DnsLabel, MaxLength = 63)]
    public IList<string>? Budgets { get; set; }

    [JsonPropertyName("runtime")]
    [Description("Defaults for the runtime pods of every tier of this model; each BudgetTier can override them field by field.")]
    public RuntimeDefaults? Runtime { get; set; }

    [JsonPropertyName("loader")]
    [Description("The Job that downloads, copies or verifies the checkpoint and computes its digest.")]
    public LoaderSpec? Loader { get; set; }
}

/// <summary>Exactly one of <see cref="Checkpoint"/>, <see cref="Uri"/> or <see cref="CompressionRunRef"/>.</summary>
[Description("Where the checkpoint comes from: exactly one of checkpoint, uri, compressionRunRef.")]
[ValidationRule("[has(self.checkpoint), has(self.uri), has(self.compressionRunRef)].filter(x, x).size() == 1",
    "exactly one of checkpoint, uri, compressionRunRef must be set")]
public sealed class ModelSource
{
    [JsonPropertyName("checkpoint")]
    [Description("A checkpoint folder already on the weight volume.")]
    public CheckpointLocation? Checkpoint { get; set; }

    [JsonPropertyName("uri")]
    [Description("A checkpoint downloaded onto the weight volume by a loader Job.")]
    public UriSource? Uri { get; set; }

    [JsonPropertyName("compressionRunRef")]
    [Description("The CompressionRun (same namespace) whose result this model serves; a new result rolls every tier. The run's output must be on this model's weight volume (set the run's output.elasticModelRef to this model).")]
    public NameReference? CompressionRunRef { get; set; }
}

/// <summary>A checkpoint folder on the model's weight volume.</summary>
[Description("A checkpoint folder on the model's weight volume.")]
[ValidationRule(VolumePath.NoParentSegments, "path must not contain '..' segments")]
public sealed class CheckpointLocation
{
    [JsonPropertyName("path")]
    [Description("The folder, relative to the volume's root (for example checkpoints/tiny-elastic/sha256-<hex>). A folder outside checkpoints/<model>/ is copied there by the loader Job, so that the folder served is immutable and named by its digest.")]
    [Pattern(Patterns.RelativePath)]
    [Length(Min = 1, Max = 1024)]
    [Required]
    public string Path { get; set; } = "";

    [JsonPropertyName("digest")]
    [Description("The expected content digest (sha256:<hex>). When set, a folder with another digest is not served.")]
    [Pattern(Patterns.Digest)]
    public string? Digest { get; set; }
}

/// <summary>The weight volume: an existing claim or one made from a template.</summary>
[Description("The volume that holds the checkpoint: exactly one of claimName, claimTemplate.")]
[ValidationRule("has(self.claimName) != has(self.claimTemplate)", "exactly one of claimName, claimTemplate must be set")]
public sealed class WeightVolume
{
    public const string DefaultMountPath = "/weights";

    [JsonPropertyName("claimName")]
    [Description("An existing PersistentVolumeClaim (same namespace). Pods on several nodes need a ReadWriteMany or ReadOnlyMany volume.")]
    [Pattern(Patterns.DnsSubdomain)]
    [Length(Max = 253)]
    public string? ClaimName { get; set; }

    [JsonPropertyName("claimTemplate")]
    [Description("A PersistentVolumeClaim the operator creates, named <model>-weights.")]
    public ClaimTemplate? ClaimTemplate { get; set; }

    [JsonPropertyName("mountPath")]
    [Description("Where every pod mounts the volume.")]
    [Default]
    [Pattern(Patterns.AbsolutePath)]
    [Length(Max = 1024)]
    public string MountPath { get; set; } = DefaultMountPath;
}

/// <summary>The claim the operator creates for the weights.</summary>
[Description("The PersistentVolumeClaim the operator creates for the weights.")]
public sealed class ClaimTemplate
{
    [JsonPropertyName("size")]
    [Description("The requested capacity, for example 60Gi: room for every checkpoint revision kept at once (the parent and each elastic result).")]
    [Required]
    public k8s.Models.ResourceQuantity Size { get; set; } = new("0");

    [JsonPropertyName("storageClassName")]
    [Description("The StorageClass. Unset: the cluster's default class.")]
    [Pattern(Patterns.DnsSubdomain)]
    [Length(Max = 253)]
    public string? StorageClassName { get; set; }

    [JsonPropertyName("accessModes")]
    [Description("The access modes. ReadWriteMany (the default) lets tiers run on many nodes; with ReadWriteOnce every pod that mounts the volume is pinned to one node.")]
    [Default]
    [ListSet]
    [Items(Min = 1, Max = 4)]
    public IList<VolumeAccessMode> AccessModes { get; set; } = [VolumeAccessMode.ReadWriteMany];

    [JsonPropertyName("reclaimPolicy")]
    [Description("What happens to the claim when the ElasticModel is deleted. Retain (the default) keeps it, so that re-creating the model reuses the downloaded weights; Delete gives it an owner reference so it is garbage-collected with the model.")]
    [Default]
    public ClaimReclaimPolicy ReclaimPolicy { get; set; } = ClaimReclaimPolicy.Retain;
}

/// <summary>PersistentVolumeClaim access modes.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<VolumeAccessMode>))]
public enum VolumeAccessMode
{
    [Description("Read-write by the pods of one node.")]
    ReadWriteOnce,

    [Description("Read-only by pods on many nodes.")]
    ReadOnlyMany,

    [Description("Read-write by pods on many nodes.")]
    ReadWriteMany,

    [Description("Read-write by one pod.")]
    ReadWriteOncePod,
}

/// <summary>What happens to a claim made from a template when its model is deleted.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<ClaimReclaimPolicy>))]
public enum ClaimReclaimPolicy
{
    [Description("Keep the claim and its weights.")]
    Retain,

    [Description("Delete the claim with the model (owner reference).")]
    Delete,
}
