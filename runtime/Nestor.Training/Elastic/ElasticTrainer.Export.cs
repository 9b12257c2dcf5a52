using Nestor.Checkpoint;
using Nestor.Kernels;
using Nestor.Training.Data;
using Nestor.Training.Evaluation;

namespace Nestor.Training.Elastic;

public sealed partial class ElasticTrainer
{
    /// <summary>
    /// Freezes each router's choice into a budget (its logits with no noise, under the same constraint as training:
    /// within the size tolerance of the target and nested in the next larger budget's choice); writes the
    /// importance-sorted weights, config.json, elastic.json, eval.json and the parent's tokenizer files into a staging folder
    /// and publishes it.
    /// </summary>
    private (PublishedCheckpoint Published, ElasticManifest Manifest, EvalRecord Eval) Export(NemotronHForCausalLM student, BudgetRouters routers,
        ArchitectureCatalog catalog, IReadOnlyList<int> layerRanking, long[] targets, ITaskData data, TrainingTokenizer tokenizer)
    {
        var budgets = FrozenBudgets(routers, catalog, layerRanking, targets, plan.Budgets.Select(b => b.Name).ToArray(), _pinned, plan.SizeTolerance);
        log(JsonLine.Of(("event", "frozen"), ("budgets", budgets.Select(b => new Dictionary<string, object?>
        {
            ["name"] = b.Name,
            ["params"] = b.Params,
            ["target_params"] = b.TargetParams,
            ["fraction"] = Math.Round(b.Params / (double)ParameterCount.Of(student.Config), 4),
        }).ToArray())));
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

    /// <summary>
    /// The routers' frozen choices, largest budget first: pinned budgets keep everything; each other budget takes the
    /// highest-scoring architecture within <paramref name="tolerance"/> of its target that is no larger, axis by axis,
    /// than the next larger budget's (so the budgets are nested).
    /// </summary>
    public static IReadOnlyList<ElasticBudget> FrozenBudgets(BudgetRouters routers, ArchitectureCatalog catalog, IReadOnlyList<int> layerRanking, long[] targets,
        string[] names, bool[] pinned, double tolerance)
    {
        var index = new int[names.Length][];
        int[] bound = catalog.Full;
        foreach (int b in BySize(targets))
        {
            index[b] = pinned[b] ? catalog.Full : catalog.Best(routers.Scores(b), targets[b], tolerance, bound);
            bound = index[b];
        }

        return [.. Enumerable.Range(0, names.Length).Select(i => catalog.Space.Budget(names[i], catalog.Sizes(index[i]), layerRanking, targets[i]))];
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
