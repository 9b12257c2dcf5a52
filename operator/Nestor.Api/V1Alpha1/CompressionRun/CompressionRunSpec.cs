using System.Text.Json.Serialization;
using Nestor.Api.Schema;

namespace Nestor.Api.V1Alpha1;

/// <summary>The desired state of a <see cref="CompressionRun"/>: the trainer's whole configuration.</summary>
[Description("The desired state of a CompressionRun. The operator hands this spec, as JSON, to the trainer (`nestor elastify --config`).")]
[ValidationRule("!has(self.curriculum) || self.curriculum.stages.all(s, !has(s.budgetWeights) || s.budgetWeights.size() == self.budgets.size())",
    "every curriculum stage's budgetWeights needs one weight per entry of budgets, in the same order", FieldPath = ".curriculum.stages")]
[ValidationRule("!has(self.resources) || self.resources.nodes <= 1 || (has(self.trainer) && has(self.trainer.command))",
    "the built-in trainer is single-node: resources.nodes > 1 needs trainer.command (an external distributed trainer that honours the same output contract)",
    FieldPath = ".resources.nodes")]
[ValidationRule("has(self.importance) == has(oldSelf.importance) && has(self.router) == has(oldSelf.router) && has(self.distillation) == has(oldSelf.distillation) && has(self.curriculum) == has(oldSelf.curriculum) && has(self.optimizer) == has(oldSelf.optimizer)",
    "importance, router, distillation, curriculum and optimizer cannot be added or removed once the run exists: create a new CompressionRun")]
public sealed class CompressionRunSpec
{
    private const string Fixed = "cannot change once the run exists: create a new CompressionRun";

    [JsonPropertyName("parentModel")]
    [Description("The model to make elastic (a plain or elastic NemotronH checkpoint). It is also the distillation teacher unless distillation.teacher says otherwise.")]
    [Required]
    [Immutable("parentModel " + Fixed)]
    public ModelLocation ParentModel { get; set; } = new();

    [JsonPropertyName("budgets")]
    [Description("The nested budgets to train, largest first, each with a target size. The largest is usually the parent itself (targetFraction 1).")]
    [Required]
    [ListMap("name")]
    [Items(Min = 1, Max = 16)]
    [Immutable("budgets " + Fixed)]
    public IList<BudgetTarget> Budgets { get; set; } = [];

    [JsonPropertyName("dataset")]
    [Description("The training data: exactly one of builtin, volume, uri.")]
    [Required]
    [Immutable("dataset " + Fixed)]
    public DatasetSpec Dataset { get; set; } = new();

    [JsonPropertyName("importance")]
    [Description("Importance estimation (forward passes over a calibration set that rank embedding channels, Mamba heads, attention heads, FFN neurons and layers).")]
    [Immutable("importance " + Fixed)]
    public ImportanceSpec? Importance { get; set; }

    [JsonPropertyName("router")]
    [Description("The routers that choose each budget's architecture (one per axis, Gumbel-softmax with an annealed temperature).")]
    [Immutable("router " + Fixed)]
    public RouterSpec? Router { get; set; }

    [JsonPropertyName("distillation")]
    [Description("Knowledge distillation from the frozen teacher.")]
    [Immutable("distillation " + Fixed)]
    public DistillationSpec? Distillation { get; set; }

    [JsonPropertyName("curriculum")]
    [Description("The training stages. Unset: two stages, stage1 with short sequences and budgets sampled uniformly, stage2 with longer sequences and budgets sampled 0.5 / 0.3 / 0.2 from largest to smallest (for three budgets; otherwise weights falling linearly), with step counts and lengths chosen by the trainer.")]
    [Immutable("curriculum " + Fixed)]
    public CurriculumSpec? Curriculum { get; set; }

    [JsonPropertyName("optimizer")]
    [Description("The model's optimizer (AdamW).")]
    [Immutable("optimizer " + Fixed)]
    public OptimizerSpec? Optimizer { get; set; }

    [JsonPropertyName("resources")]
    [Description("Nodes, GPUs and scheduling of the trainer pods. Takes effect for the next trainer pod.")]
    public TrainingResources? Resources { get; set; }

    [JsonPropertyName("trainer")]
    [Description("The trainer container. Unset: the runtime image running `nestor elastify`.")]
    public TrainerSpec? Trainer { get; set; }

    [JsonPropertyName("output")]
    [Description("Where the elastic checkpoint is published: exactly one of elasticModelRef, volume. The run's work folder (runs/<namespace>.<name>/: progress.json and resumable state) is on the same volume.")]
    [Required]
    [Immutable("output " + Fixed)]
    public CompressionOutput Output { get; set; } = new();

    [JsonPropertyName("checkpointIntervalSteps")]
    [Description("Steps between resumable checkpoints of the trainer's state. A retried or rescheduled pod resumes from the last one.")]
    [Default]
    [Minimum(1)]
    [Maximum(1000000)]
    public int CheckpointIntervalSteps { get; set; } = 100;

    [JsonPropertyName("backoffLimit")]
    [Description("Retries of a failed trainer pod before the run fails (the Job's backoffLimit).")]
    [Default]
    [Minimum(0)]
    [Maximum(100)]
    public int BackoffLimit { get; set; } = 3;

    [JsonPropertyName("suspend")]
    [Description("Suspends the run: its Job is suspended (pods deleted, state kept on the volume) and resumes from the last checkpoint when set back to false. Kueue sets it to admit the run.")]
    [Default]
    public bool Suspend { get; set; }

    [JsonPropertyName("activeDeadlineSeconds")]
    [Description("The longest the run may be active, in seconds, after which it fails with reason DeadlineExceeded. Unset: no limit.")]
    [Minimum(1)]
    public long? ActiveDeadlineSeconds { get; set; }
}

/// <summary>A model to read: a checkpoint on a volume or a URI.</summary>
[Description("A model checkpoint: exactly one of checkpoint, uri.")]
[ValidationRule("has(self.checkpoint) != has(self.uri)", "exactly one of checkpoint, uri must be set")]
public sealed class ModelLocation
{
    [JsonPropertyName("checkpoint")]
    [Description("A checkpoint folder on a volume (claimName unset: the output's volume), for example models/tiny-teacher.")]
    public VolumePath? Checkpoint { get; set; }

    [JsonPropertyName("uri")]
    [Description("A checkpoint the trainer downloads first.")]
    public UriSource? Uri { get; set; }
}

/// <summary>A budget to train and its target size.</summary>
[Description("A budget to train: its name and target size, exactly one of targetParams, targetFraction.")]
[ValidationRule("has(self.targetParams) != has(self.targetFraction)", "exactly one of targetParams, targetFraction must be set")]
public sealed class BudgetTarget
{
    [JsonPropertyName("name")]
    [Description("The budget's name (a DNS label: it becomes part of OpenAI model ids, <model>@<name>), for example full, b75, 9b.")]
    [Required]
    [Pattern(Patterns.DnsLabel)]
    [Length(Min = 1, Max = 63)]
    public string Name { get; set; } = "";

    [JsonPropertyName("targetParams")]
    [Description("The target parameter count, for example 9000000000.")]
    [Minimum(1)]
    public long? TargetParams { get; set; }

    [JsonPropertyName("targetFraction")]
    [Description("The target size as a fraction of the parent's parameters, in (0, 1].")]
    [Minimum(0, Exclusive = true)]
    [Maximum(1)]
    public double? TargetFraction { get; set; }
}

/// <summary>Where the trainer writes the elastic checkpoint.</summary>
[Description("Where the elastic checkpoint is published: exactly one of elasticModelRef, volume.")]
[ValidationRule("has(self.elasticModelRef) != has(self.volume)", "exactly one of elasticModelRef, volume must be set")]
public sealed class CompressionOutput
{
    [JsonPropertyName("elasticModelRef")]
    [Description("An ElasticModel (same namespace): the checkpoint is published on its weight volume at checkpoints/<model>/sha256-<hex>. The model serves it when its source.compressionRunRef names this run.")]
    public NameReference? ElasticModelRef { get; set; }

    [JsonPropertyName("volume")]
    [Description("A claim and a folder: the checkpoint is published at <path>/sha256-<hex>.")]
    public OutputVolume? Volume { get; set; }
}

/// <summary>A claim and folder for a published checkpoint.</summary>
[Description("A PersistentVolumeClaim and the folder under which checkpoints are published.")]
[ValidationRule(VolumePath.NoParentSegments, "path must not contain '..' segments")]
public sealed class OutputVolume
{
    [JsonPropertyName("claimName")]
    [Description("The PersistentVolumeClaim (same namespace).")]
    [Required]
    [Pattern(Patterns.DnsSubdomain)]
    [Length(Min = 1, Max = 253)]
    public string ClaimName { get; set; } = "";

    [JsonPropertyName("path")]
    [Description("The folder, relative to the volume's root, for example checkpoints/my-model.")]
    [Required]
    [Pattern(Patterns.RelativePath)]
    [Length(Min = 1, Max = 1024)]
    public string Path { get; set; } = "";
}
