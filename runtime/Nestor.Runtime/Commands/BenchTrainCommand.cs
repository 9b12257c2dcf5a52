using System.CommandLine;
using System.Runtime.InteropServices;
using System.Text.Json;
using Nestor.Training.Baselines;
using Nestor.Training.Config;

namespace Nestor.Runtime.Commands;

/// <summary>
/// `nestor bench train`: elastify the shipped teacher with the default CPU configuration, evaluate every budget, run
/// both baselines; prints the table and, last, one JSON line (teacher_acc, acc_by_budget, naive_prune_acc_smallest,
/// tokens_elastic, tokens_separate_same_quality, train_tokens_per_s).
/// </summary>
public static class BenchTrainCommand
{
    public const string DefaultConfig = "runtime/Nestor.Training/Presets/bench-cpu.yaml";

    public static Command Build()
    {
        var config = new Option<string>("--config") { Description = "The elastify configuration (paths relative to the current folder).", DefaultValueFactory = _ => DefaultConfig };
        var work = new Option<string>("--work-dir") { Description = "Scratch folder for the runs.", DefaultValueFactory = _ => Path.Combine(Path.GetTempPath(), "nestor-bench-train") };
        var uniform = new Option<bool>("--compare-uniform") { Description = "Also run elastify with uniform budget sampling in stage 2 (the paper's ablation)." };
        var sampled = new Option<bool>("--compare-sampled") { Description = "Also run elastify with one budget per batch, drawn by the stage's weights (instead of every budget on every batch)." };
        var separateData = new Option<string>("--separate-data")
        {
            Description = "Data of the separate-distillation baseline: 'curriculum' (the elastic run's own batches, stage by stage) or 'mixed' (mixed-length chains at the last stage's sequence length throughout).",
            DefaultValueFactory = _ => "curriculum",
        };
        separateData.AcceptOnlyFromAmong("curriculum", "mixed");
        var threads = new Option<int>("--threads") { Description = "Torch CPU threads.", DefaultValueFactory = _ => Environment.ProcessorCount };
        var command = new Command("train", "Elastic training against naive pruning and separate distillation; the last line is JSON.")
        {
            config, work, uniform, sampled, separateData, threads,
        };
        command.SetAction(parse =>
        {
            TorchSharp.torch.set_num_threads(Math.Max(1, parse.GetValue(threads)));
            using var stop = new CancellationTokenSource();
            using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, c =>
            {
                c.Cancel = true;
                stop.Cancel();
            });
            if (File.Exists("/proc/loadavg"))
            {
                Console.WriteLine($"load average before: {File.ReadAllText("/proc/loadavg").Trim()} ({Environment.ProcessorCount} processors)");
            }

            try
            {
                var result = TrainBenchmark.Run(parse.GetValue(config)!, parse.GetValue(work)!, Directory.GetCurrentDirectory(), parse.GetValue(uniform),
                    line => Console.Error.WriteLine(line), stop.Token, parse.GetValue(sampled),
                    parse.GetValue(separateData) == "mixed");
                if (File.Exists("/proc/loadavg"))
                {
                    Console.WriteLine($"load average after: {File.ReadAllText("/proc/loadavg").Trim()} (other processes share these processors)");
                }

                foreach (var row in TrainBenchmark.Table(result))
                {
                    Console.WriteLine(row);
                }

                Console.WriteLine(JsonSerializer.Serialize(TrainBenchmark.Summary(result)));
                return 0;
            }
            catch (ConfigException e)
            {
                Console.Error.WriteLine(e.Message);
                return 2;
            }
        });
        return command;
    }
}
