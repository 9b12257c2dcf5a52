using System.Text.Json.Serialization;
using Nestor.Api.Schema;

namespace Nestor.Api.V1Alpha1;

/// <summary>Importance estimation settings.</summary>
[Description("Importance estimation. Unset fields take the trainer's defaults.")]
public sealed class ImportanceSpec
{
    [JsonPropertyName("calibrationSamples")]
    [Description("Sequences in the calibration set (the paper uses 1024).")]
    [Minimum(1)]
    [Maximum(1000000)]
    public int? CalibrationSamples { get; set; }

    [JsonPropertyName("sequenceLength")]
    [Description("Tokens per calibration sequence (the paper uses 8192).")]
    [Minimum(1)]
    [Maximum(1048576)]
    public int? SequenceLength { get; set; }
}

/// <summary>Router settings.</summary>
[Description("The routers: loss = task loss + lambda x |params(choice) - target| / target; temperature annealed from temperatureStart to temperatureEnd.")]
[ValidationRule("self.temperatureEnd <= self.temperatureStart", "temperatureEnd must not be greater than temperatureStart", FieldPath = ".temperatureEnd")]
public sealed class RouterSpec
{
    [JsonPropertyName("lambda")]
    [Description("The weight of the router's size loss.")]
    [Default]
    [Minimum(0)]
    public double Lambda { get; set; } = 1.0;

    [JsonPropertyName("temperatureStart")]
    [Description("The Gumbel-softmax temperature at the first step.")]
    [Default]
    [Minimum(0, Exclusive = true)]
    public double TemperatureStart { get; set; } = 1.0;

    [JsonPropertyName("temperatureEnd")]
    [Description("The Gumbel-softmax temperature at the last step.")]
    [Default]
    [Minimum(0, Exclusive = true)]
    public double TemperatureEnd { get; set; } = 0.05;

    [JsonPropertyName("learningRate")]
    [Description("The routers' learning rate.")]
    [Default]
    [Minimum(0, Exclusive = true)]
    public double LearningRate { get; set; } = 0.01;

    [JsonPropertyName("hiddenSize")]
    [Description("The width of each router's hidden layer.")]
    [Default]
    [Minimum(1)]
    [Maximum(65536)]
    public int HiddenSize { get; set; } = 256;
}

/// <summary>Distillation settings.</summary>
[Description("Distillation: loss = klWeight x KL(teacher || student) + ceWeight x cross-entropy on the data, for the budget sampled for each batch.")]
[ValidationRule("self.klWeight + self.ceWeight > 0.0", "klWeight and ceWeight must not both be 0")]
public sealed class DistillationSpec
{
    [JsonPropertyName("klWeight")]
    [Description("The weight of the forward KL divergence from the teacher's logits.")]
    [Default]
    [Minimum(0)]
    public double KlWeight { get; set; } = 1.0;

    [JsonPropertyName("ceWeight")]
    [Description("The weight of the cross-entropy on the data's tokens.")]
    [Default]
    [Minimum(0)]
    public double CeWeight { get; set; }

    [JsonPropertyName("temperature")]
    [Description("The softmax temperature of teacher and student logits in the KL term.")]
    [Default]
    [Minimum(0, Exclusive = true)]
    public double Temperature { get; set; } = 1.0;

    [JsonPropertyName("teacher")]
    [Description("The frozen teacher. Unset: the parent model as it was before training.")]
    public ModelLocation? Teacher { get; set; }
}

/// <summary>The training curriculum.</summary>
[Description("The training stages, run in order.")]
public sealed class CurriculumSpec
{
    [JsonPropertyName("stages")]
    [Description("The stages, in order.")]
    [Required]
    [ListMap("name")]
    [Items(Min = 1, Max = 8)]
    public IList<CurriculumStage> Stages { get; set; } = [];
}

/// <summary>One stage of the curriculum.</summary>
[Description("One stage: how long, how long the sequences, how much each budget weighs.")]
[ValidationRule("!has(self.budgetWeights) || self.budgetWeights.exists(w, w > 0.0)", "budgetWeights needs at least one positive weight", FieldPath = ".budgetWeights")]
public sealed class CurriculumStage
{
    [JsonPropertyName("name")]
    [Description("The stage's name, for example stage1 (it shows in progress and logs).")]
    [Required]
    [Pattern(Patterns.DnsLabel)]
    [Length(Min = 1, Max = 63)]
    public string Name { get; set; } = "";

    [JsonPropertyName("steps")]
    [Description("Optimizer steps in this stage.")]
    [Required]
    [Minimum(1)]
    [Maximum(100000000)]
    public int Steps { get; set; }

    [JsonPropertyName("sequenceLength")]
    [Description("Tokens per training sequence. Unset: the trainer's default for the stage.")]
    [Minimum(1)]
    [Maximum(1048576)]
    public int? SequenceLength { get; set; }

    [JsonPropertyName("budgetWeights")]
    [Description("Each budget's weight in this stage, one per entry of spec.budgets in the same order (normalised): every budget is trained on every batch and its loss is weighted by this. Unset: uniform.")]
    [Items(Max = 16)]
    [ItemConstraints(Minimum = 0)]
    public IList<double>? BudgetWeights { get; set; }
}

/// <summary>Optimizer settings.</summary>
[Description("The model's optimizer (AdamW). Unset fields take the trainer's defaults.")]
public sealed class OptimizerSpec
{
    [JsonPropertyName("learningRate")]
    [Description("The model's peak learning rate (the paper uses 9e-5).")]
    [Default]
    [Minimum(0, Exclusive = true)]
    public double LearningRate { get; set; } = 9e-5;

    [JsonPropertyName("batchSize")]
    [Description("Sequences per optimizer step (across every GPU and node).")]
    [Minimum(1)]
    [Maximum(1048576)]
    public int? BatchSize { get; set; }

    [JsonPropertyName("warmupSteps")]
    [Description("Steps of linear learning-rate warm-up.")]
    [Minimum(0)]
    public int? WarmupSteps { get; set; }

    [JsonPropertyName("weightDecay")]
    [Description("AdamW's weight decay.")]
    [Minimum(0)]
    public double? WeightDecay { get; set; }

    [JsonPropertyName("seed")]
    [Description("The random seed: the same seed, data and configuration give the same checkpoint, and so the same digest.")]
    [Minimum(0)]
    public long? Seed { get; set; }
}
