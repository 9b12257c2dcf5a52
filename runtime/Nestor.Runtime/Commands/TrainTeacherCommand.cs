using System.CommandLine;
using Nestor.Training;
using Nestor.Training.Config;
using Nestor.Training.Teacher;

namespace Nestor.Runtime.Commands;

/// <summary>`nestor train-teacher`: pretrains the tiny NemotronH teacher on the built-in arithmetic-chain task.</summary>
public static class TrainTeacherCommand
{
    public static Command Build()
    {
        var output = new Option<string>("--output") { Description = "The checkpoint folder to write (config.json, model.safetensors, eval.json, checksums.sha256).", Required = true };
        var seed = new Option<long>("--seed") { Description = "The random seed (model initialisation, data, splits).", DefaultValueFactory = _ => 42 };
        var steps = new Option<int>("--steps") { Description = "Optimizer steps.", DefaultValueFactory = _ => 600 };
        var batch = new Option<int>("--batch-size") { Description = "Sequences per step.", DefaultValueFactory = _ => 16 };
        var length = new Option<int>("--sequence-length") { Description = "Tokens per sequence.", DefaultValueFactory = _ => 128 };
        var lr = new Option<double>("--learning-rate") { Description = "Peak learning rate (AdamW, warm-up then cosine).", DefaultValueFactory = _ => 3e-3 };
        var hidden = new Option<int>("--hidden-size") { Description = "Embedding width d.", DefaultValueFactory = _ => 128 };
        var pattern = new Option<string>("--pattern") { Description = "hybrid_override_pattern (M Mamba-2, * attention, - MLP).", DefaultValueFactory = _ => "M-M*M-M-" };
        var ffn = new Option<int>("--intermediate-size") { Description = "FFN neurons per MLP layer.", DefaultValueFactory = _ => 512 };
        var init = new Option<string?>("--init") { Description = "Continue training this checkpoint (its shape replaces the size flags)." };
        var threads = new Option<int>("--threads") { Description = "Torch CPU threads (default: the number of processors).", DefaultValueFactory = _ => Environment.ProcessorCount };
        var command = new Command("train-teacher", "Pretrain a tiny NemotronH teacher on the built-in arithmetic-chain task; progress as JSON lines.")
        {
            output, seed, steps, batch, length, lr, hidden, pattern, ffn, init, threads,
        };
        command.SetAction(parse =>
        {
            TorchSharp.torch.set_num_threads(Math.Max(1, parse.GetValue(threads)));
            var options = new TeacherOptions
            {
                Output = parse.GetValue(output)!,
                Seed = parse.GetValue(seed),
                Steps = parse.GetValue(steps),
                BatchSize = parse.GetValue(batch),
                SequenceLength = parse.GetValue(length),
                LearningRate = parse.GetValue(lr),
                Config = TeacherOptions.TinyConfig(parse.GetValue(hidden), parse.GetValue(pattern)!, parse.GetValue(ffn)),
                InitFrom = parse.GetValue(init),
            };
            TeacherTrainer.Result result;
            try
            {
                result = TeacherTrainer.Run(options, Console.WriteLine);
            }
            catch (ConfigException e)
            {
                Console.Error.WriteLine($"nestor train-teacher: {e.Message}");
                return 2;
            }

            Console.WriteLine(JsonLine.Of(("event", "done"), ("path", result.Folder), ("params", result.Params), ("accuracy", result.Test.Accuracy),
                ("perplexity", Math.Round(result.Test.Perplexity, 4)), ("tokens", result.Tokens), ("train_tokens_per_s", Math.Round(result.TokensPerSecond, 1))));
            return 0;
        });
        return command;
    }
}
