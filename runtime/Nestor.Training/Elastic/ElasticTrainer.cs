using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Nestor.Checkpoint;
using Nestor.Kernels;
using Nestor.Training.Config;
using Nestor.Training.Data;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Nestor.Training.Elastic;

/// <summary>How a run ended. <c>Tokens</c>: data tokens (each batch counted once, the paper's measure);
/// <c>BudgetTokens</c>: tokens passed through a budget's forward and backward (data tokens × budgets run per batch).</summary>
public sealed record ElastifyResult(bool Completed, PublishedCheckpoint? Published, string? RelativePath, ElasticManifest? Manifest,
    EvalRecord? Eval, long Tokens, long BudgetTokens, long Step, double TrainTokensPerSecond);

/// <summary>
/// <c>nestor elastify</c>: importance estimation and reordering, routers trained jointly with the student by
/// distillation from the frozen teacher over the curriculum's stages, then export of the routers' frozen choices as
/// an elastic checkpoint with eval.json, published atomically. Resumable from the newest state folder.
/// </summary>
public sealed partial class ElasticTrainer(ElastifyPlan plan, string outputDir, string workDir, Action<string> log)
{
    private readonly ProgressReporter _progress = new(workDir, log);
    private bool[] _pinned = [];

    public ProgressReporter Progress => _progress;

    public ElastifyResult Run(CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(workDir);
        using var parentDir = CheckpointDirectory.Open(plan.ParentPath);
        var config = parentDir.Config;
        TrainingTokenizer.RequireSameTokenizer(plan.ParentPath, plan.TeacherPath);
        var tokenizer = TrainingTokenizer.For(plan.ParentPath, config);
        var data = plan.LoadData();
        long parentParams = ParameterCount.Of(config);
        var targets = plan.Budgets.Select(b => Math.Min(parentParams, b.Target(parentParams))).ToArray();
        // A budget as large as the parent is the parent: its architecture is fixed, not routed.
        _pinned = [.. targets.Select(t => t >= parentParams)];
        var names = plan.Budgets.Select(b => b.Name).ToArray();
        var space = new SearchSpace(config);
        long total = plan.TotalSteps;
        string fingerprint = Fingerprint(config);

        using var teacher = NemotronHForCausalLM.Load(plan.TeacherPath);
        foreach (var p in teacher.parameters())
        {
            p.requires_grad = false;
        }

        NemotronHForCausalLM student;
        BudgetRouters routers;
        TrainerState state;
        var latest = TrainerState.Latest(workDir);
        if (latest is not null)
        {
            state = TrainerState.Read(latest);
            if (state.SchemaVersion != TrainerState.CurrentSchemaVersion)
            {
                throw new ConfigException($"{latest}: trainer state schema {state.SchemaVersion}, this trainer writes {TrainerState.CurrentSchemaVersion}; use a fresh --work-dir");
            }

            if (state.Fingerprint != fingerprint)
            {
                throw new ConfigException($"{latest}: the saved state belongs to another configuration; use a fresh --work-dir or restore the original configuration");
            }

            student = NemotronHForCausalLM.Create(config, seed: 0);
            student.load(Path.Combine(latest, TrainerState.StudentFile));
            student.InvalidatePreparedBudgets();
            routers = new BudgetRouters(space, names.Length, plan.RouterHidden, state.LayerRanking, (ulong)plan.Seed);
            routers.load(Path.Combine(latest, TrainerState.RoutersFile));
            log(JsonLine.Of(("event", "resume"), ("from", latest), ("step", state.Step), ("tokens", state.Tokens)));
        }
        else
        {
            _progress.Report(RunPhase.EstimatingImportance, 0, 0, total, 0, new Dictionary<string, double>(), null);
            student = NemotronHForCausalLM.Load(plan.ParentPath);
            var ranking = EstimateAndReorder(student, data, tokenizer);
            routers = new BudgetRouters(space, names.Length, plan.RouterHidden, ranking, (ulong)plan.Seed);
            WarmUpRouters(routers, targets);
            state = new TrainerState { Step = 0, Tokens = 0, Fingerprint = fingerprint, LayerRanking = ranking };
        }

        using var studentScope = student;
        var modelParameters = student.parameters().ToList();
        using var modelOptimizer = optim.AdamW(modelParameters, plan.LearningRate, weight_decay: plan.WeightDecay);
        using var routerOptimizer = optim.Adam(routers.parameters(), plan.RouterLearningRate);
        if (latest is not null)
        {
            modelOptimizer.load_state_dict(Path.Combine(latest, TrainerState.ModelOptimizerFile));
            routerOptimizer.load_state_dict(Path.Combine(latest, TrainerState.RouterOptimizerFile));
        }
        else
        {
            SaveState(state, student, routers, modelOptimizer, routerOptimizer);
        }

        var loss = new Dictionary<string, double>(state.Loss);
        long step = state.Step, tokens = state.Tokens, budgetTokens = state.BudgetTokens;
        var catalog = new ArchitectureCatalog(space, state.LayerRanking, plan.KeepEveryLayerKind);
        var watch = Stopwatch.StartNew();
        long stepsThisRun = 0, tokensThisRun = 0;
        double elapsedBefore = state.ElapsedSeconds;
        while (step < total)
        {
            var (stageIndex, stage) = StageOf(step);
            if (cancellationToken.IsCancellationRequested)
            {
                var saved = SaveState(Snapshot(), student, routers, modelOptimizer, routerOptimizer);
                _progress.Report(PhaseOf(stageIndex), stageIndex + 1, step, total, tokens, loss, null,
                    $"stopped by a termination signal at step {step}; state saved in {saved}, the next run resumes from it", stageName: stage.Name);
                return new ElastifyResult(false, null, null, null, null, tokens, budgetTokens, step, tokensThisRun / Math.Max(1e-9, watch.Elapsed.TotalSeconds));
            }

            var result = TrainStep(step, stage, student, teacher, routers, modelOptimizer, routerOptimizer, data, tokenizer, catalog, targets);
            foreach (var (budget, value) in result.Loss)
            {
                loss[names[budget]] = loss.TryGetValue(names[budget], out var previous) ? (0.8 * previous) + (0.2 * value) : value;
            }

            step++;
            stepsThisRun++;
            tokens += result.DataTokens;
            budgetTokens += result.BudgetTokens;
            tokensThisRun += result.DataTokens;
            if (step % plan.LogInterval == 0 || step == total)
            {
                double perStep = watch.Elapsed.TotalSeconds / stepsThisRun;
                _progress.Report(PhaseOf(stageIndex), stageIndex + 1, step, total, tokens, loss, perStep * (total - step), stageName: stage.Name);
                LogArchitectures(step, routers, catalog, state.LayerRanking, targets);
            }

            if (step % plan.CheckpointInterval == 0 && step < total)
            {
                SaveState(Snapshot(), student, routers, modelOptimizer, routerOptimizer);
            }
        }

        double trainTps = tokensThisRun / Math.Max(1e-9, watch.Elapsed.TotalSeconds);
        SaveState(Snapshot(), student, routers, modelOptimizer, routerOptimizer);
        cancellationToken.ThrowIfCancellationRequested();
        _progress.Report(RunPhase.Exporting, plan.Stages.Count, step, total, tokens, loss, null, "freezing the routers' choices, evaluating, publishing");
        var (published, manifest, eval) = Export(student, routers, catalog, state.LayerRanking, targets, data, tokenizer);
        var relative = RelativePath(published.Path);
        _progress.Report(RunPhase.Succeeded, plan.Stages.Count, step, total, tokens, loss, 0, null, new CheckpointReference(relative, published.Digest));
        return new ElastifyResult(true, published, relative, manifest, eval, tokens, budgetTokens, step, trainTps);

        TrainerState Snapshot() => state with
        {
            Step = step,
            Tokens = tokens,
            BudgetTokens = budgetTokens,
            Loss = new Dictionary<string, double>(loss),
            ElapsedSeconds = elapsedBefore + watch.Elapsed.TotalSeconds,
        };
    }

    /// <summary>What one step trained: the task loss per budget run, the batch's data tokens, and the tokens passed
    /// through budgets (data tokens × budgets run: the compute).</summary>
    private sealed record StepResult(Dictionary<int, double> Loss, long DataTokens, long BudgetTokens);

    /// <summary>
    /// One optimizer step on one batch: the teacher's logits once; every budget's hard choice (largest first, each
    /// within the size tolerance of its target and nested in the next larger one's, as exported); then, with
    /// <see cref="BudgetsPerStep.All"/>, every budget of positive stage weight is run on the batch and its loss
    /// weighted by the stage's weight (the expectation of the sampled objective, computed exactly); with
    /// <see cref="BudgetsPerStep.Sampled"/>, one budget drawn by the weights (the paper's per-batch sampling).
    /// Gradients accumulate over the budgets; one clipped optimizer step follows.
    /// </summary>
    private StepResult TrainStep(long step, StagePlan stage, NemotronHForCausalLM student, NemotronHForCausalLM teacher, BudgetRouters routers,
        OptimizerHelper modelOptimizer, OptimizerHelper routerOptimizer, ITaskData data, TrainingTokenizer tokenizer, ArchitectureCatalog catalog, long[] targets)
    {
        using var scope = NewDisposeScope();
        double lr = Schedule.Cosine(step, plan.TotalSteps, plan.WarmupSteps, plan.LearningRate);
        foreach (var group in modelOptimizer.ParamGroups)
        {
            group.LearningRate = lr;
        }

        double temperature = Schedule.Anneal(step, plan.TotalSteps, plan.TemperatureStart, plan.TemperatureEnd);
        using var batch = TrainingBatch.Pack(data, tokenizer, DeterministicRandom.For(plan.Seed, DeterministicRandom.TrainBatch, step),
            stage.Examples, plan.BatchSize, stage.SequenceLength);
        var generator = new Generator(DeterministicRandom.Mix((ulong)plan.Seed, DeterministicRandom.Gumbel, (ulong)step), CPU);
        var choices = new Dictionary<Axis, Tensor>?[targets.Length];
        int[] bound = catalog.Full;
        foreach (int b in BySize(targets))
        {
            if (_pinned[b])
            {
                continue;
            }

            var outer = bound;
            (choices[b], bound) = routers.Sample(b, temperature, generator, scores => catalog.Best(scores, targets[b], plan.SizeTolerance, outer));
        }

        var runs = plan.BudgetsPerStep == BudgetsPerStep.All
            ? [.. stage.BudgetWeights.Select((w, b) => (Budget: b, Weight: w)).Where(r => r.Weight > 0)]
            : new[] { (Budget: SampleBudget(stage.BudgetWeights, DeterministicRandom.For(plan.Seed, DeterministicRandom.Budget, step)), Weight: 1.0) };

        Tensor teacherLogits;
        using (no_grad())
        {
            teacherLogits = teacher.Forward(batch.Inputs);
        }

        modelOptimizer.zero_grad();
        routerOptimizer.zero_grad();
        var losses = new Dictionary<int, double>();
        foreach (var (budget, weight) in runs)
        {
            using var budgetScope = NewDisposeScope();
            var choice = choices[budget];
            var masks = choice is null ? null : routers.Masks(choice);
            var sizeLoss = choice is null ? zeros(1).squeeze() : (routers.ParamsOf(choice) - targets[budget]).abs() / targets[budget];
            var logits = student.Forward(batch.Inputs, masks);
            var task = zeros(1).squeeze();
            if (plan.KlWeight > 0)
            {
                task = task + (plan.KlWeight * Losses.ForwardKl(logits, teacherLogits, batch.LossMask, plan.DistillTemperature));
            }

            if (plan.CeWeight > 0)
            {
                task = task + (plan.CeWeight * Losses.CrossEntropy(logits, batch.Targets, batch.LossMask));
            }

            var totalLoss = weight * (task + (plan.Lambda * sizeLoss.to_type(ScalarType.Float32)));
            totalLoss.backward();
            double value = task.item<float>();
            if (double.IsNaN(value) || double.IsInfinity(value))
            {
                throw new InvalidOperationException($"the training loss of budget {plan.Budgets[budget].Name} became {value} at step {step}");
            }

            losses[budget] = value;
        }

        nn.utils.clip_grad_norm_(student.parameters(), 1.0);
        modelOptimizer.step();
        routerOptimizer.step();
        return new StepResult(losses, batch.Tokens, batch.Tokens * runs.Length);
    }

    /// <summary>The architecture each budget would be frozen to now (noise-free, constrained as at export).</summary>
    private void LogArchitectures(long step, BudgetRouters routers, ArchitectureCatalog catalog, IReadOnlyList<int> layerRanking, long[] targets)
    {
        var names = plan.Budgets.Select(b => b.Name).ToArray();
        var budgets = FrozenBudgets(routers, catalog, layerRanking, targets, names, _pinned, plan.SizeTolerance);
        log(JsonLine.Of(("event", "architectures"), ("step", step), ("budgets", budgets.Where((_, i) => !_pinned[i]).ToDictionary(b => b.Name, Describe))));
    }

    /// <summary>A budget's sizes in one short string: hidden, FFN, Mamba heads per group, query heads, layers kept, parameters.</summary>
    private static string Describe(ElasticBudget b) =>
        FormattableString.Invariant($"h{b.HiddenSize} f{b.IntermediateSize} m{b.MambaHeadsPerGroup} q{b.NumAttentionHeads} L{b.Layers.Count} {b.Params}");

    /// <summary>Budget indices from the largest target to the smallest (ties: configuration order).</summary>
    private static int[] BySize(long[] targets) => [.. Enumerable.Range(0, targets.Length).OrderByDescending(i => targets[i]).ThenBy(i => i)];

    /// <summary>Importance on the calibration set, then the reordering that makes every budget a prefix.</summary>
    private int[] EstimateAndReorder(NemotronHForCausalLM student, ITaskData data, TrainingTokenizer tokenizer)
    {
        var batches = new List<Tensor>();
        int remaining = plan.CalibrationSamples, index = 0;
        while (remaining > 0)
        {
            int size = Math.Min(16, remaining);
            using var batch = TrainingBatch.Pack(data, tokenizer, DeterministicRandom.For(plan.Seed, DeterministicRandom.Calibration, index++),
                ExampleLength.Mixed, size, plan.CalibrationLength);
            batches.Add(batch.Inputs.clone());
            remaining -= size;
        }

        var scores = ImportanceScores.Estimate(student, batches);
        student.ApplyPermutation(scores.ToPermutation(student.Config));
        foreach (var b in batches)
        {
            b.Dispose();
        }

        var ranking = scores.LayerRanking.ToArray();
        log(JsonLine.Of(("event", "importance"), ("layer_ranking", ranking), ("layer_scores", scores.Layers.Select(s => Math.Round(s, 5)).ToArray())));
        return ranking;
    }

    /// <summary>
    /// Before training, the routers learn the size loss alone (no forward passes, a fraction of a second), so the
    /// first training steps already sample architectures near each budget's target.
    /// </summary>
    private void WarmUpRouters(BudgetRouters routers, long[] targets)
    {
        using var optimizer = optim.Adam(routers.parameters(), plan.RouterLearningRate);
        for (int step = 0; step < plan.RouterWarmupSteps; step++)
        {
            using var scope = NewDisposeScope();
            var generator = new Generator(DeterministicRandom.Mix((ulong)plan.Seed, DeterministicRandom.Init, (ulong)step), CPU);
            optimizer.zero_grad();
            var loss = zeros(1, dtype: ScalarType.Float64).squeeze();
            for (int b = 0; b < targets.Length; b++)
            {
                var choice = routers.Sample(b, plan.TemperatureStart, generator);
                loss = loss + ((routers.ParamsOf(choice) - targets[b]).abs() / targets[b]);
            }

            loss.backward();
            optimizer.step();
        }

        for (int b = 0; b < targets.Length; b++)
        {
            var sizes = routers.Choose(b);
            log(JsonLine.Of(("event", "router_warmup"), ("budget", plan.Budgets[b].Name), ("target_params", targets[b]),
                ("choice", sizes.ToDictionary(p => p.Key.ToString(), p => p.Value))));
        }
    }

    private string SaveState(TrainerState state, NemotronHForCausalLM student, BudgetRouters routers, OptimizerHelper modelOptimizer, OptimizerHelper routerOptimizer) =>
        state.Write(workDir, folder =>
        {
            student.save(Path.Combine(folder, TrainerState.StudentFile));
            routers.save(Path.Combine(folder, TrainerState.RoutersFile));
            modelOptimizer.save_state_dict(Path.Combine(folder, TrainerState.ModelOptimizerFile));
            routerOptimizer.save_state_dict(Path.Combine(folder, TrainerState.RouterOptimizerFile));
        });

    private (int Index, StagePlan Stage) StageOf(long step)
    {
        long start = 0;
        for (int i = 0; i < plan.Stages.Count; i++)
        {
            start += plan.Stages[i].Steps;
            if (step < start)
            {
                return (i, plan.Stages[i]);
            }
        }

        return (plan.Stages.Count - 1, plan.Stages[^1]);
    }

    private static RunPhase PhaseOf(int stageIndex) => stageIndex == 0 ? RunPhase.TrainingStage1 : RunPhase.TrainingStage2;

    public static int SampleBudget(IReadOnlyList<double> weights, Random random)
    {
        double u = random.NextDouble(), sum = 0;
        for (int i = 0; i < weights.Count; i++)
        {
            sum += weights[i];
            if (u < sum)
            {
                return i;
            }
        }

        return weights.Count - 1;
    }

    private string RelativePath(string path)
    {
        if (plan.VolumeRoot is { } root)
        {
            var relative = Path.GetRelativePath(root, path);
            if (!relative.StartsWith("..", StringComparison.Ordinal) && !Path.IsPathRooted(relative))
            {
                return relative.Replace('\\', '/');
            }
        }

        return path;
    }

    /// <summary>What must match for a saved state to be resumed: everything that shapes training (not paths).</summary>
    private string Fingerprint(NemotronHConfig config)
    {
        var facts = new
        {
            config = config.ToJsonString(),
            budgets = plan.Budgets,
            stages = plan.Stages,
            plan.BuiltinTask,
            plan.BuiltinOptions,
            plan.DataFile,
            plan.CalibrationSamples,
            plan.CalibrationLength,
            plan.Lambda,
            plan.TemperatureStart,
            plan.TemperatureEnd,
            plan.RouterLearningRate,
            plan.RouterHidden,
            plan.KlWeight,
            plan.CeWeight,
            plan.DistillTemperature,
            plan.LearningRate,
            plan.BatchSize,
            plan.WarmupSteps,
            plan.WeightDecay,
            plan.Seed,
            plan.RouterWarmupSteps,
            plan.BudgetsPerStep,
            plan.SizeTolerance,
            plan.KeepEveryLayerKind,
        };
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(JsonSerializer.Serialize(facts))));
    }
}
