using Nestor.Checkpoint;
using Nestor.Kernels;
using Nestor.Training.Data;
using Nestor.Training.Evaluation;

namespace Nestor.Training.Elastic;

public sealed partial class ElasticTrainer
{
    /// <summary>
    /// Freezes each router's choice (argmax, no noise) into a budget, made nested by taking, axis by axis, at most
    /// what every larger budget keeps; writes the importance-sorted weights, config.json, elastic.json, eval.json and the parent's tokenizer files
    /// into a staging folder and publishes it.
    /// </summary>
    private (PublishedCheckpoint Published, ElasticManifest Manifest, EvalRecord Eval) Export(NemotronHForCausalLM student, BudgetRouters routers,
        SearchSpace space, IReadOnlyList<int> layerRanking, long[] targets, ITaskData data, TrainingTokenizer tokenizer)
    {
        var budgets = FrozenBudgets(routers, space, layerRanking, targets, plan.Budgets.Select(b => b.Name).ToArray(), _pinned);
        var manifest = ElasticManifest.Create(student.Config, plan.ModelName, budgets, layerRanking);
        if (Directory.Exists(outputDir))
        {
            CheckpointPublisher.RemoveAbandonedStaging(outputDir, TimeSpan.FromHours(1));
        }

        var staging = CheckpointPublisher.CreateStaging(outputDir);
        try
        {
            student.SaveCheckpoint(staging);
            manifest.Save(Path.Combine(staging, ElasticManifest.FileName));
            CheckpointDirectory.CopyTokenizerFiles(plan.ParentPath, staging);
            var eval = EvaluateFolder(staging, data, tokenizer, plan.EvalExamples, log);
            eval.Save(Path.Combine(staging, EvalRecord.FileName));
            var published = CheckpointPublisher.Publish(staging);
            return (published, manifest, eval);
        }
        catch
        {
            if (Directory.Exists(staging))
            {
                Directory.Delete(staging, recursive: true);
            }

            throw;
        }
    }

    public static IReadOnlyList<ElasticBudget> FrozenBudgets(BudgetRouters routers, SearchSpace space, IReadOnlyList<int> layerRanking, long[] targets, string[] names,
        bool[] pinned)
    {
        var sizes = Enumerable.Range(0, names.Length)
            .Select(i => pinned[i] ? SearchSpace.Axes.ToDictionary(a => a, a => space.Choices[a][^1]) : routers.Choose(i)).ToArray();
        var order = Enumerable.Range(0, names.Length).OrderByDescending(i => targets[i]).ThenBy(i => i).ToArray();
        for (int k = 1; k < order.Length; k++)
        {
            var larger = sizes[order[k - 1]];
            var current = sizes[order[k]];
            foreach (var axis in SearchSpace.Axes)
            {
                current[axis] = Math.Min(current[axis], larger[axis]);
            }
        }

        return [.. Enumerable.Range(0, names.Length).Select(i => space.Budget(names[i], sizes[i], layerRanking, targets[i]))];
    }

    /// <summary>Evaluates every budget of a checkpoint folder on the test split (what <c>nestor eval</c> does).</summary>
    public static EvalRecord EvaluateFolder(string folder, ITaskData data, TrainingTokenizer tokenizer, int examples, Action<string> log)
    {
        using var model = NemotronHForCausalLM.Load(folder);
        var test = data.Test.Take(examples).ToList();
        var results = new Dictionary<string, BudgetEvaluation>(StringComparer.Ordinal);
        foreach (var budget in model.Manifest.BySize)
        {
            var result = Evaluator.Evaluate(model, model.Prepared(budget.Name), test, tokenizer);
            results[budget.Name] = new BudgetEvaluation(budget.Params, Math.Round(result.Accuracy, 4), Math.Round(result.Perplexity, 4));
            log(JsonLine.Of(("event", "eval"), ("budget", budget.Name), ("params", budget.Params), ("accuracy", result.Accuracy),
                ("perplexity", Math.Round(result.Perplexity, 4)), ("examples", result.Examples)));
        }

        return new EvalRecord { Task = data.Name, Split = "test", Examples = test.Count, Budgets = results };
    }
}
