using System.Text.Json;
using System.Text.Json.Serialization;

namespace Nestor.Training.Config;

/// <summary>
/// The trainer's configuration: the CompressionRun spec's shape (the same field names; docs/api.md), plus what the
/// operator adds to the spec it hands over (<c>name</c>, <c>volumes</c>: claim → mount path, <c>outputVolume</c>).
/// Fields the built-in trainer does not use (resources, trainer, output details, backoffLimit, ...) are accepted and
/// ignored; unknown fields are rejected.
/// </summary>
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
public sealed class ElastifyConfig
{
    [JsonPropertyName("name")] public string? Name { get; set; }

    [JsonPropertyName("volumes")] public Dictionary<string, string>? Volumes { get; set; }

    [JsonPropertyName("outputVolume")] public string? OutputVolume { get; set; }

    [JsonPropertyName("parentModel")] public ModelLocationConfig? ParentModel { get; set; }

    [JsonPropertyName("budgets")] public List<BudgetTargetConfig>? Budgets { get; set; }

    [JsonPropertyName("dataset")] public DatasetConfig? Dataset { get; set; }

    [JsonPropertyName("importance")] public ImportanceConfig? Importance { get; set; }

    [JsonPropertyName("router")] public RouterConfig? Router { get; set; }

    [JsonPropertyName("distillation")] public DistillationConfig? Distillation { get; set; }

    [JsonPropertyName("curriculum")] public CurriculumConfig? Curriculum { get; set; }

    [JsonPropertyName("optimizer")] public OptimizerConfig? Optimizer { get; set; }

    [JsonPropertyName("output")] public JsonElement? Output { get; set; }

    [JsonPropertyName("resources")] public JsonElement? Resources { get; set; }

    [JsonPropertyName("trainer")] public JsonElement? Trainer { get; set; }

    [JsonPropertyName("checkpointIntervalSteps")] public int? CheckpointIntervalSteps { get; set; }

    [JsonPropertyName("backoffLimit")] public int? BackoffLimit { get; set; }

    [JsonPropertyName("suspend")] public bool? Suspend { get; set; }

    [JsonPropertyName("activeDeadlineSeconds")] public long? ActiveDeadlineSeconds { get; set; }

    /// <summary>Trainer-only knobs (not in the CompressionRun spec): evaluation size, logging, threads.</summary>
    [JsonPropertyName("trainerOptions")] public TrainerOptionsConfig? TrainerOptions { get; set; }
}

[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
public sealed class ModelLocationConfig
{
    [JsonPropertyName("checkpoint")] public VolumePathConfig? Checkpoint { get; set; }

    [JsonPropertyName("uri")] public JsonElement? Uri { get; set; }
}

[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
public sealed class VolumePathConfig
{
    [JsonPropertyName("claimName")] public string? ClaimName { get; set; }

    [JsonPropertyName("path")] public string? Path { get; set; }
}

[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
public sealed class BudgetTargetConfig
{
    [JsonPropertyName("name")] public string? Name { get; set; }

    [JsonPropertyName("targetParams")] public long? TargetParams { get; set; }

    [JsonPropertyName("targetFraction")] public double? TargetFraction { get; set; }
}

[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
public sealed class DatasetConfig
{
    [JsonPropertyName("builtin")] public BuiltinDatasetConfig? Builtin { get; set; }

    [JsonPropertyName("volume")] public VolumePathConfig? Volume { get; set; }

    [JsonPropertyName("uri")] public JsonElement? Uri { get; set; }

    [JsonPropertyName("format")] public string? Format { get; set; }
}

[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
public sealed class BuiltinDatasetConfig
{
    [JsonPropertyName("task")] public string? Task { get; set; }

    [JsonPropertyName("options")] public Dictionary<string, string>? Options { get; set; }
}

[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
public sealed class ImportanceConfig
{
    [JsonPropertyName("calibrationSamples")] public int? CalibrationSamples { get; set; }

    [JsonPropertyName("sequenceLength")] public int? SequenceLength { get; set; }
}

[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
public sealed class RouterConfig
{
    [JsonPropertyName("lambda")] public double? Lambda { get; set; }

    [JsonPropertyName("temperatureStart")] public double? TemperatureStart { get; set; }

    [JsonPropertyName("temperatureEnd")] public double? TemperatureEnd { get; set; }

    [JsonPropertyName("learningRate")] public double? LearningRate { get; set; }

    [JsonPropertyName("hiddenSize")] public int? HiddenSize { get; set; }
}

[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
public sealed class DistillationConfig
{
    [JsonPropertyName("klWeight")] public double? KlWeight { get; set; }

    [JsonPropertyName("ceWeight")] public double? CeWeight { get; set; }

    [JsonPropertyName("temperature")] public double? Temperature { get; set; }

    [JsonPropertyName("teacher")] public ModelLocationConfig? Teacher { get; set; }
}

[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
public sealed class CurriculumConfig
{
    [JsonPropertyName("stages")] public List<StageConfig>? Stages { get; set; }
}

[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
public sealed class StageConfig
{
    [JsonPropertyName("name")] public string? Name { get; set; }

    [JsonPropertyName("steps")] public int? Steps { get; set; }

    [JsonPropertyName("sequenceLength")] public int? SequenceLength { get; set; }

    [JsonPropertyName("budgetWeights")] public List<double>? BudgetWeights { get; set; }
}

[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
public sealed class OptimizerConfig
{
    [JsonPropertyName("learningRate")] public double? LearningRate { get; set; }

    [JsonPropertyName("batchSize")] public int? BatchSize { get; set; }

    [JsonPropertyName("warmupSteps")] public int? WarmupSteps { get; set; }

    [JsonPropertyName("weightDecay")] public double? WeightDecay { get; set; }

    [JsonPropertyName("seed")] public long? Seed { get; set; }
}

[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
public sealed class TrainerOptionsConfig
{
    /// <summary>Test examples evaluated per budget at export (default 200).</summary>
    [JsonPropertyName("evalExamples")] public int? EvalExamples { get; set; }

    /// <summary>Steps between progress records and JSON lines (default 10).</summary>
    [JsonPropertyName("logIntervalSteps")] public int? LogIntervalSteps { get; set; }

    /// <summary>Router warm-up steps on the size loss alone, before training (default 300; no forward passes).</summary>
    [JsonPropertyName("routerWarmupSteps")] public int? RouterWarmupSteps { get; set; }

    /// <summary><c>all</c> (default): every budget is trained on every batch, losses weighted by the stage's budget
    /// weights; <c>sampled</c>: one budget per batch, drawn by the weights.</summary>
    [JsonPropertyName("budgetsPerStep")] public string? BudgetsPerStep { get; set; }

    /// <summary>How far (relative) a budget's chosen architecture may be from its target size (default 0.03).</summary>
    [JsonPropertyName("sizeTolerance")] public double? SizeTolerance { get; set; }

    /// <summary>Which examples each curriculum stage draws (<c>short</c>, <c>long</c>, <c>mixed</c>; one per stage; built-in
    /// task only). Default: every stage the evaluation split's lengths (mixed unless <c>dataset.builtin.options.length</c>
    /// says otherwise); the stages then differ in sequence length and budget weights, as the paper's do.</summary>
    [JsonPropertyName("stageExamples")] public List<string>? StageExamples { get; set; }

    /// <summary>Every budget keeps at least one layer of each kind the parent has (Mamba, attention, MLP) (default true).</summary>
    [JsonPropertyName("keepEveryLayerKind")] public bool? KeepEveryLayerKind { get; set; }
}
