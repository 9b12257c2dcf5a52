using System.Text.Json.Serialization;
using k8s.Models;
using Nestor.Api.Schema;

namespace Nestor.Api.V1Alpha1;

/// <summary>The observed state of a <see cref="CompressionRun"/>.</summary>
[Description("The observed state of a CompressionRun.")]
public sealed class CompressionRunStatus
{
    [JsonPropertyName("observedGeneration")]
    [Description("The metadata.generation this status describes.")]
    public long? ObservedGeneration { get; set; }

    [JsonPropertyName("phase")]
    [Description("Where the run is.")]
    public CompressionRunPhase? Phase { get; set; }

    [JsonPropertyName("conditions")]
    [Description("Running: a trainer pod runs. Succeeded: the checkpoint is published. Failed: the run stopped for good (reason BackoffLimitExceeded, DeadlineExceeded, InvalidConfiguration, ...). Suspended: spec.suspend is true.")]
    [ListMap("type")]
    [Items(Max = 16)]
    public IList<V1Condition>? Conditions { get; set; }

    [JsonPropertyName("progress")]
    [Description("The trainer's last progress record (its progress.json).")]
    public TrainingProgress? Progress { get; set; }

    [JsonPropertyName("jobName")]
    [Description("The trainer Job.")]
    public string? JobName { get; set; }

    [JsonPropertyName("startTime")]
    [Description("When the first trainer pod started.")]
    public DateTime? StartTime { get; set; }

    [JsonPropertyName("completionTime")]
    [Description("When the run succeeded or failed.")]
    public DateTime? CompletionTime { get; set; }

    [JsonPropertyName("result")]
    [Description("The published checkpoint, once the run succeeded.")]
    public CompressionResult? Result { get; set; }
}

/// <summary>The phases of a run (also the trainer's progress.json phases).</summary>
[JsonConverter(typeof(JsonStringEnumConverter<CompressionRunPhase>))]
public enum CompressionRunPhase
{
    [Description("Waiting for its Job's pod (scheduling, image pull, or the parent's download).")]
    Pending,

    [Description("Ranking the parent's components on the calibration set.")]
    EstimatingImportance,

    [Description("Training the first curriculum stage.")]
    TrainingStage1,

    [Description("Training the second (or a later) curriculum stage.")]
    TrainingStage2,

    [Description("Evaluating every budget and publishing the checkpoint.")]
    Exporting,

    [Description("The checkpoint is published; status.result says where.")]
    Succeeded,

    [Description("The run stopped for good; the Failed condition says why.")]
    Failed,

    [Description("spec.suspend is true; the state on the volume is kept.")]
    Suspended,
}

/// <summary>The trainer's last progress record.</summary>
[Description("The trainer's last progress record.")]
public sealed class TrainingProgress
{
    [JsonPropertyName("stage")]
    [Description("The curriculum stage, from 1.")]
    public int? Stage { get; set; }

    [JsonPropertyName("step")]
    [Description("Optimizer steps done, over all stages.")]
    public long Step { get; set; }

    [JsonPropertyName("totalSteps")]
    [Description("Optimizer steps in the whole run.")]
    public long TotalSteps { get; set; }

    [JsonPropertyName("tokens")]
    [Description("Training tokens consumed.")]
    public long Tokens { get; set; }

    [JsonPropertyName("lossByBudget")]
    [Description("The latest training loss of each budget.")]
    [Items(Max = 64)]
    public IDictionary<string, double>? LossByBudget { get; set; }

    [JsonPropertyName("etaSeconds")]
    [Description("Estimated seconds to completion.")]
    public long? EtaSeconds { get; set; }

    [JsonPropertyName("updatedAt")]
    [Description("When the trainer wrote the record.")]
    public DateTime? UpdatedAt { get; set; }

    [JsonPropertyName("message")]
    [Description("The trainer's last message, if any.")]
    public string? Message { get; set; }
}

/// <summary>What a successful run published.</summary>
[Description("What a successful run published.")]
public sealed class CompressionResult
{
    [JsonPropertyName("claimName")]
    [Description("The PersistentVolumeClaim that holds the checkpoint.")]
    public string? ClaimName { get; set; }

    [JsonPropertyName("checkpointPath")]
    [Description("The checkpoint folder, relative to the volume's root (for example checkpoints/tiny-elastic/sha256-<hex>).")]
    [Required]
    public string CheckpointPath { get; set; } = "";

    [JsonPropertyName("digest")]
    [Description("The checkpoint's content digest, sha256:<hex>.")]
    [Required]
    public string Digest { get; set; } = "";

    [JsonPropertyName("evaluation")]
    [Description("Per-budget evaluation on the task's test split (the checkpoint's eval.json), by budget name.")]
    [Items(Max = 64)]
    public IDictionary<string, BudgetEvaluation>? Evaluation { get; set; }
}

/// <summary>One budget's evaluation.</summary>
[Description("One budget's evaluation.")]
public sealed class BudgetEvaluation
{
    [JsonPropertyName("params")]
    [Description("The budget's exact parameter count.")]
    public long? Params { get; set; }

    [JsonPropertyName("accuracy")]
    [Description("Exact-match accuracy (greedy decoding), in [0, 1].")]
    public double? Accuracy { get; set; }

    [JsonPropertyName("perplexity")]
    [Description("Perplexity on the test split.")]
    public double? Perplexity { get; set; }
}

/// <summary>The condition types of a <see cref="CompressionRun"/>.</summary>
public static class CompressionRunConditions
{
    public const string Running = "Running";
    public const string Succeeded = "Succeeded";
    public const string Failed = "Failed";
    public const string Suspended = "Suspended";
}
