using System.Globalization;
using Nestor.Checkpoint;
using Nestor.Kernels;
using Nestor.Training.Config;
using Nestor.Training.Data;
using Nestor.Training.Elastic;
using Nestor.Training.Evaluation;

namespace Nestor.Training.Baselines;

/// <summary>What <c>make bench-train</c> measured.</summary>
public sealed record TrainBenchmarkResult(
    double TeacherAccuracy,
    double TeacherPerplexity,
    long TeacherParams,
    IReadOnlyList<(ElasticBudget Budget, BudgetEvaluation Eval)> Elastic,
    IReadOnlyList<(ElasticBudget Budget, EvalResult Eval)> NaivePrune,
    IReadOnlyList<SeparateRun> Separate,
    long TokensElastic,
    long BudgetTokensElastic,
    double TrainTokensPerSecond,
    IReadOnlyDictionary<string, double>? UniformStage2Accuracy,
    IReadOnlyDictionary<string, double>? SampledAccuracy = null,
    long TokensSampled = 0,
    string SeparateData = "curriculum");

/// <summary>
/// The training benchmark: elastify the teacher with a configuration, evaluate every budget, then the two baselines
/// (naive importance pruning to the same architectures; prune + separate distillation of each smaller budget until it
/// matches the elastic accuracy, capped at the elastic run's tokens per budget), optionally the same run with uniform
/// budget sampling in stage 2.
/// </summary>
public static class TrainBenchmark
{
    public static TrainBenchmarkResult Run(string configPath, string workRoot, string volumeRoot, bool compareUniform, Action<string> log, CancellationToken cancellationToken,
        bool compareSampled = false, bool separateMixed = false)
    {
        var config = ConfigFile.Load(configPath);
        var plan = ElastifyPlan.Resolve(config, configPath, Path.Combine(workRoot, "checkpoints", "bench"), volumeRoot);
        var data = plan.LoadData();
        using var teacherDir = CheckpointDirectory.Open(plan.TeacherPath);
        var tokenizer = TrainingTokenizer.For(teacherDir.Path, teacherDir.Config);
        var test = data.Test.Take(plan.EvalExamples).ToList();
        var validation = data.Validation.Take(Math.Min(100, plan.EvalExamples)).ToList();

        using var teacher = NemotronHForCausalLM.Load(plan.TeacherPath);
        var teacherEval = Evaluator.Evaluate(teacher, teacher.View(ElasticBudget.Full(teacher.Config), detached: true), test, tokenizer);
        log($"teacher: accuracy {teacherEval.Accuracy:P1}, perplexity {teacherEval.Perplexity:F3}");

        var elastic = Elastify(plan, Path.Combine(workRoot, "elastic"), log, cancellationToken);
        var budgets = elastic.Manifest!.Budgets;

        // (a) naive pruning: the importance-sorted teacher (the elastic run's own ranking, recomputed deterministically), cut to each budget.
        using var pruned = NemotronHForCausalLM.Load(plan.TeacherPath);
        var scores = ImportanceScores.Estimate(pruned, CalibrationBatches(plan, data, tokenizer));
        pruned.ApplyPermutation(scores.ToPermutation(pruned.Config));
        var naive = budgets.Select(b => (b, Evaluator.Evaluate(pruned, pruned.View(b, detached: true), test, tokenizer))).ToList();
        foreach (var (b, e) in naive)
        {
            log($"naive prune {b.Name}: accuracy {e.Accuracy:P1}");
        }

        // (b) prune, then distil each smaller budget separately until it matches the elastic accuracy on validation.
        var elasticValidation = budgets.ToDictionary(b => b.Name, b => 0.0);
        using (var elasticModel = NemotronHForCausalLM.Load(elastic.Published!.Path))
        {
            foreach (var b in budgets)
            {
                elasticValidation[b.Name] = Evaluator.Evaluate(elasticModel, elasticModel.Prepared(b.Name), validation, tokenizer).Accuracy;
            }
        }

        // Same data as the elastic run (its batches, step for step), same teacher and learning-rate schedule; at most as
        // many steps per budget as the elastic run took in all; validation every sixteenth of that.
        // With separateMixed, the separate runs draw mixed-length chains at the last stage's sequence length from the
        // first step (no short-chain stage), as a prune-then-distil recipe without the elastic curriculum would.
        IReadOnlyList<StagePlan> separateStages = separateMixed
            ? [plan.Stages[^1] with { Name = "mixed", Steps = (int)elastic.Step, Examples = ExampleLength.Mixed }]
            : plan.Stages;
        var separate = new List<SeparateRun>();
        foreach (var b in budgets.Where(b => b.Params < ParameterCount.Of(teacher.Config)))
        {
            cancellationToken.ThrowIfCancellationRequested();
            using var student = NemotronHForCausalLM.Load(plan.TeacherPath);
            student.ApplyPermutation(scores.ToPermutation(student.Config));
            int evalEvery = Math.Max(1, (int)(elastic.Step / 16));
            separate.Add(SeparateDistillation.Run(student, teacher, b, data, tokenizer, validation, elasticValidation[b.Name], separateStages, elastic.Step,
                plan.BatchSize, plan.LearningRate, plan.WarmupSteps, plan.WeightDecay, plan.Seed, evalEvery, log));
        }

        Dictionary<string, double>? uniform = null;
        if (compareUniform)
        {
            var uniformPlan = plan with
            {
                Stages = [.. plan.Stages.Select((s, i) => i == 0 ? s : s with { BudgetWeights = [.. s.BudgetWeights.Select(_ => 1.0 / s.BudgetWeights.Count)] })],
            };
            var run = Elastify(uniformPlan, Path.Combine(workRoot, "uniform"), log, cancellationToken);
            uniform = run.Eval!.Budgets.ToDictionary(p => p.Key, p => p.Value.Accuracy ?? 0);
        }

        Dictionary<string, double>? sampled = null;
        long sampledTokens = 0;
        if (compareSampled)
        {
            var run = Elastify(plan with { BudgetsPerStep = BudgetsPerStep.Sampled }, Path.Combine(workRoot, "sampled"), log, cancellationToken);
            sampled = run.Eval!.Budgets.ToDictionary(p => p.Key, p => p.Value.Accuracy ?? 0);
            sampledTokens = run.Tokens;
        }

        return new TrainBenchmarkResult(teacherEval.Accuracy, teacherEval.Perplexity, ParameterCount.Of(teacher.Config),
            [.. budgets.Select(b => (b, elastic.Eval!.Budgets[b.Name]))], naive, separate, elastic.Tokens, elastic.BudgetTokens, elastic.TrainTokensPerSecond, uniform,
            sampled, sampledTokens, separateMixed ? "mixed" : "curriculum");
    }

    private static ElastifyResult Elastify(ElastifyPlan plan, string root, Action<string> log, CancellationToken cancellationToken)
    {
        if (Directory.Exists(root))
        {
            Directory.Delete(root, recursive: true);
        }

        var trainer = new ElasticTrainer(plan, Path.Combine(root, "checkpoints", plan.ModelName), Path.Combine(root, "work"), log);
        var result = trainer.Run(cancellationToken);
        return result.Completed ? result : throw new OperationCanceledException("the benchmark was stopped");
    }

    private static List<TorchSharp.torch.Tensor> CalibrationBatches(ElastifyPlan plan, ITaskData data, TrainingTokenizer tokenizer)
    {
        var batches = new List<TorchSharp.torch.Tensor>();
        int remaining = plan.CalibrationSamples, index = 0;
        while (remaining > 0)
        {
            int size = Math.Min(16, remaining);
            using var batch = TrainingBatch.Pack(data, tokenizer, DeterministicRandom.For(plan.Seed, DeterministicRandom.Calibration, index++),
                ExampleLength.Mixed, size, plan.CalibrationLength);
            batches.Add(batch.Inputs.clone());
            remaining -= size;
        }

        return batches;
    }

    /// <summary>The table: budget, parameters, accuracy, perplexity, tokens used, for every method.</summary>
    public static IEnumerable<string> Table(TrainBenchmarkResult r)
    {
        string Row(string method, string budget, long parameters, double accuracy, double? perplexity, string tokens) =>
            string.Create(CultureInfo.InvariantCulture, $"{method,-18} {budget,-6} {parameters,10:N0} {accuracy,9:P1} {(perplexity is { } p ? p.ToString("F3", CultureInfo.InvariantCulture) : "-"),10} {tokens,12}");

        yield return string.Create(CultureInfo.InvariantCulture, $"{"method",-18} {"budget",-6} {"params",10} {"accuracy",9} {"perplexity",10} {"tokens",12}");
        yield return Row("teacher", "full", r.TeacherParams, r.TeacherAccuracy, r.TeacherPerplexity, "-");
        foreach (var (b, e) in r.Elastic)
        {
            yield return Row("elastic", b.Name, b.Params, e.Accuracy ?? 0, e.Perplexity, $"{r.TokensElastic:N0} (all)");
        }

        foreach (var (b, e) in r.NaivePrune)
        {
            yield return Row("naive prune", b.Name, b.Params, e.Accuracy, e.Perplexity, "0");
        }

        foreach (var s in r.Separate)
        {
            yield return Row("prune+distill", s.Budget, s.Params, s.Final.Accuracy, s.Final.Perplexity, (s.Reached ? "" : ">") + s.TokensToTarget.ToString("N0", CultureInfo.InvariantCulture));
        }

        if (r.UniformStage2Accuracy is { } uniform)
        {
            foreach (var (name, accuracy) in uniform)
            {
                yield return Row("elastic, uniform s2", name, r.Elastic.First(e => e.Budget.Name == name).Budget.Params, accuracy, null, $"{r.TokensElastic:N0} (all)");
            }
        }

        if (r.SampledAccuracy is { } sampled)
        {
            foreach (var (name, accuracy) in sampled)
            {
                yield return Row("elastic, 1 budget/b", name, r.Elastic.First(e => e.Budget.Name == name).Budget.Params, accuracy, null, $"{r.TokensSampled:N0} (all)");
            }
        }

        yield return string.Create(CultureInfo.InvariantCulture,
            $"tokens: data tokens, each batch counted once; the elastic run passed {r.BudgetTokensElastic:N0} tokens through its budgets ({(double)r.BudgetTokensElastic / Math.Max(1, r.TokensElastic):F1} per data token), separate distillation {r.Separate.Sum(s => s.TokensToTarget):N0} (one budget per token)");
    }

    /// <summary>The last line of <c>make bench-train</c>.</summary>
    public static Dictionary<string, object?> Summary(TrainBenchmarkResult r) => new()
    {
        ["teacher_acc"] = Math.Round(r.TeacherAccuracy, 4),
        ["acc_by_budget"] = r.Elastic.ToDictionary(e => e.Budget.Name, e => Math.Round(e.Eval.Accuracy ?? 0, 4)),
        ["naive_prune_acc_smallest"] = Math.Round(r.NaivePrune.OrderBy(n => n.Budget.Params).First().Eval.Accuracy, 4),
        ["tokens_elastic"] = r.TokensElastic,
        ["tokens_separate_same_quality"] = r.Separate.Sum(s => s.TokensToTarget),
        ["budget_tokens_elastic"] = r.BudgetTokensElastic,
        ["separate_to_elastic_budget_token_ratio"] = r.BudgetTokensElastic == 0 ? null : Math.Round((double)r.Separate.Sum(s => s.TokensToTarget) / r.BudgetTokensElastic, 3),
        ["params_fraction_by_budget"] = r.Elastic.ToDictionary(e => e.Budget.Name, e => Math.Round(e.Budget.Params / (double)r.TeacherParams, 4)),
        ["separate_reached_all"] = r.Separate.All(s => s.Reached),
        ["separate_data"] = r.SeparateData,
        ["separate_to_elastic_token_ratio"] = r.TokensElastic == 0 ? null : Math.Round((double)r.Separate.Sum(s => s.TokensToTarget) / r.TokensElastic, 3),
        ["train_tokens_per_s"] = Math.Round(r.TrainTokensPerSecond, 1),
        ["full_acc_uniform_stage2"] = r.UniformStage2Accuracy?.GetValueOrDefault(r.Elastic[0].Budget.Name),
        ["acc_by_budget_uniform_stage2"] = r.UniformStage2Accuracy,
        ["acc_by_budget_one_budget_per_batch"] = r.SampledAccuracy,
    };
}
