using Nestor.Checkpoint;
using Nestor.Training.Data;

namespace Nestor.Training.Config;

/// <summary>A budget to train, with its target resolved against the parent's size later.</summary>
public sealed record BudgetTargetPlan(string Name, long? TargetParams, double? TargetFraction)
{
    public long Target(long parentParams) => TargetParams ?? (long)Math.Round(parentParams * TargetFraction!.Value);
}

/// <summary>One curriculum stage, resolved: budget weights normalised to sum 1.</summary>
/// <summary>How many budgets one training step runs on its batch.</summary>
public enum BudgetsPerStep
{
    /// <summary>Every budget of positive stage weight, losses weighted by the weights.</summary>
    All,

    /// <summary>One budget drawn by the stage's weights.</summary>
    Sampled,
}

public sealed record StagePlan(string Name, int Steps, int SequenceLength, IReadOnlyList<double> BudgetWeights, ExampleLength Examples);

/// <summary>The validated configuration with every default filled in and every path resolved.</summary>
public sealed record ElastifyPlan
{
    public required string ModelName { get; init; }

    public required string ParentPath { get; init; }

    public required string TeacherPath { get; init; }

    /// <summary>The root of the output's volume (paths in progress.json and the result are relative to it), or null.</summary>
    public string? VolumeRoot { get; init; }

    public required IReadOnlyList<BudgetTargetPlan> Budgets { get; init; }

    public string? BuiltinTask { get; init; }

    public IReadOnlyDictionary<string, string>? BuiltinOptions { get; init; }

    public string? DataFile { get; init; }

    public JsonlFormat DataFormat { get; init; }

    public int CalibrationSamples { get; init; } = 64;

    public int CalibrationLength { get; init; } = 128;

    public double Lambda { get; init; } = 1.0;

    public double TemperatureStart { get; init; } = 1.0;

    public double TemperatureEnd { get; init; } = 0.05;

    public double RouterLearningRate { get; init; } = 0.01;

    public int RouterHidden { get; init; } = 256;

    public double KlWeight { get; init; } = 1.0;

    public double CeWeight { get; init; }

    public double DistillTemperature { get; init; } = 1.0;

    public required IReadOnlyList<StagePlan> Stages { get; init; }

    public double LearningRate { get; init; } = 9e-5;

    public int BatchSize { get; init; } = 16;

    public int WarmupSteps { get; init; }

    public double WeightDecay { get; init; }

    public long Seed { get; init; }

    public int CheckpointInterval { get; init; } = 100;

    public int EvalExamples { get; init; } = 200;

    public int LogInterval { get; init; } = 10;

    public int RouterWarmupSteps { get; init; } = 300;

    public BudgetsPerStep BudgetsPerStep { get; init; } = BudgetsPerStep.All;

    public double SizeTolerance { get; init; } = 0.03;

    public bool KeepEveryLayerKind { get; init; } = true;

    public int TotalSteps => Stages.Sum(s => s.Steps);

    /// <summary>The training data (built-in task or JSONL file), splits fixed by the seed.</summary>
    public ITaskData LoadData() => BuiltinTask is not null
        ? ArithChainTask.FromOptions(BuiltinOptions)
        : JsonlDataset.Load(DataFile!, DataFormat, Seed);

    /// <summary>
    /// Validates a configuration and resolves it. Relative paths are resolved on the volume they name: the claim's
    /// mount path from <c>volumes</c>, else (claim unset) the output volume's, else <paramref name="volumeRoot"/>.
    /// </summary>
    public static ElastifyPlan Resolve(ElastifyConfig c, string source, string outputDir, string? volumeRoot)
    {
        string Fail(string field, string problem) => throw new ConfigException($"{source}: {field}: {problem}");

        string? outputMount = c.OutputVolume is { } ov && c.Volumes?.GetValueOrDefault(ov) is { } m ? m : volumeRoot;
        string ResolvePath(VolumePathConfig location, string field)
        {
            if (string.IsNullOrEmpty(location.Path))
            {
                Fail(field + ".path", "required");
            }

            if (Path.IsPathRooted(location.Path))
            {
                return Path.GetFullPath(location.Path);
            }

            string? root = location.ClaimName is { } claim
                ? c.Volumes?.GetValueOrDefault(claim) ?? Fail(field + ".claimName", $"claim '{claim}' is not mounted (no entry in volumes)")
                : outputMount;
            return Path.GetFullPath(Path.Combine(root ?? Directory.GetCurrentDirectory(), location.Path!));
        }

        string Model(ModelLocationConfig? location, string field)
        {
            if (location is null)
            {
                return Fail(field, "required");
            }

            if ((location.Checkpoint is null) == (location.Uri is null))
            {
                Fail(field, "exactly one of checkpoint, uri must be set");
            }

            if (location.Uri is not null)
            {
                Fail(field + ".uri", "the built-in trainer reads checkpoints from a volume; fetch the model first (nestor fetch) and name it with checkpoint.path");
            }

            var path = ResolvePath(location.Checkpoint!, field + ".checkpoint");
            return File.Exists(Path.Combine(path, NemotronHConfig.FileName))
                ? path
                : Fail(field + ".checkpoint.path", $"no checkpoint at {path} (config.json missing)");
        }

        var parent = Model(c.ParentModel, "parentModel");
        var teacher = c.Distillation?.Teacher is { } t ? Model(t, "distillation.teacher") : parent;

        if (c.Budgets is not { Count: > 0 } budgetList)
        {
            throw new ConfigException($"{source}: budgets: at least one budget is required");
        }

        if (budgetList.Count > 16)
        {
            Fail("budgets", "at most 16 budgets");
        }

        var budgets = new List<BudgetTargetPlan>();
        for (int i = 0; i < budgetList.Count; i++)
        {
            var b = budgetList[i];
            string field = $"budgets[{i}]";
            if (b.Name is null || !DnsLabel.IsValid(b.Name))
            {
                Fail(field + ".name", $"'{b.Name}' is not a DNS label");
            }

            if (budgets.Any(x => x.Name == b.Name))
            {
                Fail(field + ".name", $"duplicate budget '{b.Name}'");
            }

            if (b.TargetParams.HasValue == b.TargetFraction.HasValue)
            {
                Fail(field, "exactly one of targetParams, targetFraction must be set");
            }

            if (b.TargetFraction is { } f && (f <= 0 || f > 1))
            {
                Fail(field + ".targetFraction", $"{f} is not in (0, 1]");
            }

            if (b.TargetParams is < 1)
            {
                Fail(field + ".targetParams", "must be at least 1");
            }

            budgets.Add(new BudgetTargetPlan(b.Name!, b.TargetParams, b.TargetFraction));
        }

        var dataset = c.Dataset ?? throw new ConfigException($"{source}: dataset: required");
        int sources = (dataset.Builtin is null ? 0 : 1) + (dataset.Volume is null ? 0 : 1) + (dataset.Uri is null ? 0 : 1);
        if (sources != 1)
        {
            Fail("dataset", "exactly one of builtin, volume, uri must be set");
        }

        if (dataset.Uri is not null)
        {
            Fail("dataset.uri", "the built-in trainer reads data from a volume; copy the file there and name it with dataset.volume");
        }

        if (dataset.Builtin is { } builtin && builtin.Task != ArithChainTask.TaskName)
        {
            Fail("dataset.builtin.task", $"unknown task '{builtin.Task}' (known: {ArithChainTask.TaskName})");
        }

        if (dataset.Builtin is not null && dataset.Format is not null)
        {
            Fail("dataset.format", "applies to volume and uri data only");
        }

        var format = dataset.Format switch
        {
            null or "Text" => JsonlFormat.Text,
            "PromptCompletion" => JsonlFormat.PromptCompletion,
            _ => Enum.Parse<JsonlFormat>(Fail("dataset.format", $"'{dataset.Format}' is not one of Text, PromptCompletion")),
        };

        var evalLength = ExampleLength.Mixed;
        try
        {
            evalLength = dataset.Builtin is { } b2 ? ArithChainTask.FromOptions(b2.Options).EvalLength : ExampleLength.Mixed;
        }
        catch (ArgumentException e)
        {
            Fail("dataset.builtin.options", e.Message);
        }

        var router = c.Router ?? new RouterConfig();
        double tStart = router.TemperatureStart ?? 1.0, tEnd = router.TemperatureEnd ?? 0.05;
        if (tStart <= 0 || tEnd <= 0 || tEnd > tStart)
        {
            Fail("router", "temperatures must be positive and temperatureEnd <= temperatureStart");
        }

        var distill = c.Distillation ?? new DistillationConfig();
        double kl = distill.KlWeight ?? 1.0, ce = distill.CeWeight ?? 0.0;
        if (kl < 0 || ce < 0 || kl + ce <= 0)
        {
            Fail("distillation", "klWeight and ceWeight must be >= 0 and not both 0");
        }

        var stages = new List<StagePlan>();
        var stageConfigs = c.Curriculum?.Stages ?? DefaultStages(budgets.Count);
        if (stageConfigs.Count is < 1 or > 8)
        {
            Fail("curriculum.stages", "1 to 8 stages");
        }

        var options = c.TrainerOptions ?? new TrainerOptionsConfig();
        var stageExamples = new ExampleLength[stageConfigs.Count];
        for (int i = 0; i < stageExamples.Length; i++)
        {
            stageExamples[i] = evalLength;
        }

        if (options.StageExamples is { } examples)
        {
            if (examples.Count != stageConfigs.Count)
            {
                Fail("trainerOptions.stageExamples", $"{examples.Count} entries for {stageConfigs.Count} stages");
            }

            for (int i = 0; i < examples.Count; i++)
            {
                stageExamples[i] = examples[i] switch
                {
                    "short" => ExampleLength.Short,
                    "long" => ExampleLength.Long,
                    "mixed" => ExampleLength.Mixed,
                    var other => Enum.Parse<ExampleLength>(Fail($"trainerOptions.stageExamples[{i}]", $"'{other}' is not one of short, long, mixed")),
                };
            }
        }

        for (int i = 0; i < stageConfigs.Count; i++)
        {
            var s = stageConfigs[i];
            string field = $"curriculum.stages[{i}]";
            if (s.Name is null || !DnsLabel.IsValid(s.Name))
            {
                Fail(field + ".name", $"'{s.Name}' is not a DNS label");
            }

            if (s.Steps is not > 0)
            {
                Fail(field + ".steps", "must be at least 1");
            }

            if (s.SequenceLength is < 8)
            {
                Fail(field + ".sequenceLength", "must be at least 8");
            }

            var weights = s.BudgetWeights ?? [.. budgets.Select(_ => 1.0)];
            if (weights.Count != budgets.Count)
            {
                Fail(field + ".budgetWeights", $"{weights.Count} weights for {budgets.Count} budgets");
            }

            if (weights.Any(w => w < 0 || double.IsNaN(w)) || weights.Sum() <= 0)
            {
                Fail(field + ".budgetWeights", "weights must be >= 0 with at least one positive");
            }

            double total = weights.Sum();
            stages.Add(new StagePlan(s.Name!, s.Steps!.Value, s.SequenceLength ?? (i == 0 ? 128 : 256), [.. weights.Select(w => w / total)],
                stageExamples[i]));
        }

        var optimizer = c.Optimizer ?? new OptimizerConfig();
        if (optimizer.LearningRate is <= 0 || optimizer.BatchSize is < 1 || optimizer.WarmupSteps is < 0 || optimizer.WeightDecay is < 0 || optimizer.Seed is < 0)
        {
            Fail("optimizer", "learningRate must be positive, batchSize at least 1, warmupSteps, weightDecay and seed non-negative");
        }

        if (c.CheckpointIntervalSteps is < 1)
        {
            Fail("checkpointIntervalSteps", "must be at least 1");
        }

        var importance = c.Importance ?? new ImportanceConfig();
        if (importance.CalibrationSamples is < 1 || importance.SequenceLength is < 8)
        {
            Fail("importance", "calibrationSamples must be at least 1 and sequenceLength at least 8");
        }

        var budgetsPerStep = options.BudgetsPerStep switch
        {
            null or "all" => BudgetsPerStep.All,
            "sampled" => BudgetsPerStep.Sampled,
            var other => throw new ConfigException($"{source}: trainerOptions.budgetsPerStep: '{other}': expected 'all' or 'sampled'"),
        };
        if (options.SizeTolerance is < 0 or >= 1)
        {
            Fail("trainerOptions.sizeTolerance", "must be in [0, 1)");
        }

        string modelName = c.Output is { } output && output.ValueKind == System.Text.Json.JsonValueKind.Object
            && output.TryGetProperty("elasticModelRef", out var modelRef) && modelRef.TryGetProperty("name", out var refName)
            ? refName.GetString()! : c.Name ?? Path.GetFileName(Path.GetFullPath(outputDir).TrimEnd('/'));
        if (!DnsLabel.IsValid(modelName))
        {
            modelName = "elastic";
        }

        return new ElastifyPlan
        {
            ModelName = modelName,
            ParentPath = parent,
            TeacherPath = teacher,
            VolumeRoot = outputMount is null ? null : Path.GetFullPath(outputMount),
            Budgets = budgets,
            BuiltinTask = dataset.Builtin?.Task,
            BuiltinOptions = dataset.Builtin?.Options,
            DataFile = dataset.Volume is { } v ? ResolvePath(v, "dataset.volume") : null,
            DataFormat = format,
            CalibrationSamples = importance.CalibrationSamples ?? 64,
            CalibrationLength = importance.SequenceLength ?? 128,
            Lambda = router.Lambda ?? 1.0,
            TemperatureStart = tStart,
            TemperatureEnd = tEnd,
            RouterLearningRate = router.LearningRate ?? 0.01,
            RouterHidden = router.HiddenSize ?? 256,
            KlWeight = kl,
            CeWeight = ce,
            DistillTemperature = distill.Temperature ?? 1.0,
            Stages = stages,
            LearningRate = optimizer.LearningRate ?? 9e-5,
            BatchSize = optimizer.BatchSize ?? 16,
            WarmupSteps = optimizer.WarmupSteps ?? 0,
            WeightDecay = optimizer.WeightDecay ?? 0,
            Seed = optimizer.Seed ?? 0,
            CheckpointInterval = c.CheckpointIntervalSteps ?? 100,
            EvalExamples = options.EvalExamples ?? 200,
            LogInterval = options.LogIntervalSteps ?? 10,
            RouterWarmupSteps = options.RouterWarmupSteps ?? 300,
            BudgetsPerStep = budgetsPerStep,
            SizeTolerance = options.SizeTolerance ?? 0.03,
            KeepEveryLayerKind = options.KeepEveryLayerKind ?? true,
        };
    }

    /// <summary>No curriculum: stage 1 uniform, stage 2 weighted 0.5/0.3/0.2 (three budgets) or linearly falling.</summary>
    private static List<StageConfig> DefaultStages(int budgets)
    {
        List<double> weights = budgets == 3 ? [0.5, 0.3, 0.2] : [.. Enumerable.Range(0, budgets).Select(i => (double)(budgets - i))];
        return
        [
            new StageConfig { Name = "stage1", Steps = 200, SequenceLength = 128 },
            new StageConfig { Name = "stage2", Steps = 100, SequenceLength = 256, BudgetWeights = weights },
        ];
    }
}
