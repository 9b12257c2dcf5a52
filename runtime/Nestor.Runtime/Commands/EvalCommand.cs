using System.CommandLine;
using Nestor.Checkpoint;
using Nestor.Training;
using Nestor.Training.Config;
using Nestor.Training.Data;
using Nestor.Training.Elastic;

namespace Nestor.Runtime.Commands;

/// <summary>
/// `nestor eval --checkpoint DIR`: per-budget exact-match accuracy (greedy decoding) and perplexity on a test split,
/// for an elastic or a plain checkpoint. Prints a table; the last line is the eval.json record as one JSON line.
/// </summary>
public static class EvalCommand
{
    public static Command Build()
    {
        var checkpoint = new Option<string>("--checkpoint") { Description = "The checkpoint folder.", Required = true };
        var data = new Option<string?>("--data") { Description = "A JSONL file to evaluate on (its seed-fixed test split) instead of the built-in task." };
        var format = new Option<JsonlFormat>("--format") { Description = "The JSONL format of --data.", DefaultValueFactory = _ => JsonlFormat.PromptCompletion };
        var length = new Option<string>("--length") { Description = "Built-in task: short, long or mixed chains.", DefaultValueFactory = _ => "mixed" };
        var examples = new Option<int>("--examples") { Description = "Test examples per budget.", DefaultValueFactory = _ => 200 };
        var seed = new Option<long>("--seed") { Description = "The seed of the splits.", DefaultValueFactory = _ => ArithChainTask.DefaultSplitSeed };
        var output = new Option<string?>("--output") { Description = "Also write the record as an eval.json file here." };
        var threads = new Option<int>("--threads") { Description = "Torch CPU threads.", DefaultValueFactory = _ => Environment.ProcessorCount };
        var show = new Option<int>("--show") { Description = "Print this many greedy generations of the default budget (prompt, expected, generated)." };
        var command = new Command("eval", "Per-budget exact-match accuracy (greedy) and perplexity on the test split.")
        {
            checkpoint, data, format, length, examples, seed, output, threads, show,
        };
        command.SetAction(parse =>
        {
            TorchSharp.torch.set_num_threads(Math.Max(1, parse.GetValue(threads)));
            try
            {
                var folder = parse.GetValue(checkpoint)!;
                using var directory = CheckpointDirectory.Open(folder);
                var tokenizer = TrainingTokenizer.For(directory.Path, directory.Config);
                ITaskData task = parse.GetValue(data) is { } file
                    ? JsonlDataset.Load(file, parse.GetValue(format), parse.GetValue(seed))
                    : ArithChainTask.FromOptions(new Dictionary<string, string>
                    {
                        ["length"] = parse.GetValue(length)!,
                        ["seed"] = parse.GetValue(seed).ToString(System.Globalization.CultureInfo.InvariantCulture),
                        ["testExamples"] = parse.GetValue(examples).ToString(System.Globalization.CultureInfo.InvariantCulture),
                    });
                if (parse.GetValue(show) is > 0 and var count)
                {
                    using var model = Nestor.Kernels.NemotronHForCausalLM.Load(folder);
                    var shown = task.Test.Take(count).ToList();
                    var generated = Nestor.Training.Evaluation.Evaluator.Generate(model, model.Prepared(model.Manifest.Default.Name),
                        shown.Select(e => (IReadOnlyList<long>)[tokenizer.Bos, .. tokenizer.Encode(e.Prompt)]).ToList(), tokenizer.Eos, 64);
                    for (int i = 0; i < shown.Count; i++)
                    {
                        Console.WriteLine($"{shown[i].Prompt} | expected {shown[i].Completion} | got {tokenizer.Decode(generated[i])}");
                    }
                }

                var record = ElasticTrainer.EvaluateFolder(folder, task, tokenizer, parse.GetValue(examples), _ => { });
                Console.WriteLine($"{"budget",-10} {"params",12} {"accuracy",9} {"perplexity",11}");
                foreach (var (name, b) in record.Budgets)
                {
                    Console.WriteLine($"{name,-10} {b.Params,12:N0} {b.Accuracy,9:P1} {b.Perplexity,11:F3}");
                }

                if (parse.GetValue(output) is { } path)
                {
                    record.Save(path);
                }

                Console.WriteLine(record.ToJsonString().ReplaceLineEndings(" ").Trim());
                return 0;
            }
            catch (Exception e) when (e is DataFormatException or ConfigException or ArgumentException or CheckpointFormatException or DirectoryNotFoundException or FileNotFoundException)
            {
                Console.Error.WriteLine(e.Message);
                return 2;
            }
        });
        return command;
    }
}
