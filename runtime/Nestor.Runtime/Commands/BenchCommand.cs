using System.CommandLine;
using System.Text.Json;
using Nestor.Kernels;

namespace Nestor.Runtime.Commands;

/// <summary>
/// `nestor bench kernels`: prefill/decode throughput per budget and budget-switch latency of a small elastic model;
/// the last line is one JSON object. `--smoke` instead runs the quick end-to-end kernels check that `make run` uses.
/// </summary>
public static class BenchCommand
{
    public static Command Build()
    {
        var bench = new Command("bench", "Benchmarks that print figures.");
        bench.Subcommands.Add(BuildKernels());
        bench.Subcommands.Add(BenchServeCommand.Build());
        bench.Subcommands.Add(BenchTrainCommand.Build());
        return bench;
    }

    private static Command BuildKernels()
    {
        var smoke = new Option<bool>("--smoke") { Description = "Run the quick kernels smoke check (tiny model, every budget masked, sliced and loaded alone) instead." };
        var threads = new Option<int>("--threads") { Description = "Torch CPU threads (default: the number of processors).", DefaultValueFactory = _ => Environment.ProcessorCount };
        var decodeSteps = new Option<int>("--decode-steps") { Description = "Decode steps per measurement.", DefaultValueFactory = _ => 64 };
        var repeats = new Option<int>("--repeats") { Description = "Measured rounds after one warm-up round (figures use the median).", DefaultValueFactory = _ => 5 };
        var hfCheck = new Option<string?>("--hf-check-dir")
        {
            Description = "Instead: write the bench model's budgets as sliced plain checkpoints with our logits dumped beside them, for tools/hf_compare.py.",
        };
        var hfCheckpoints = new Option<string[]>("--hf-check-checkpoint")
        {
            Description = "With --hf-check-dir: also slice every budget of this checkpoint (elastic or plain) and dump our logits; repeatable.",
            AllowMultipleArgumentsPerToken = false,
        };
        var command = new Command("kernels", "Prefill and decode tokens/s of every budget and budget-switch time p50/p99; the last line is JSON.")
        {
            smoke, threads, decodeSteps, repeats, hfCheck, hfCheckpoints,
        };
        command.SetAction(parse =>
        {
            if (parse.GetValue(hfCheck) is { } folder)
            {
                foreach (var written in KernelBenchmark.WriteHfCheck(folder, parse.GetValue(hfCheckpoints) ?? []))
                {
                    Console.WriteLine($"wrote {written}");
                }

                Console.WriteLine($"next, on a machine with transformers: python tools/hf_compare.py {folder}/*sliced-*");
                return 0;
            }

            if (parse.GetValue(smoke))
            {
                bool ok = KernelSmoke.Run(Console.WriteLine);
                Console.WriteLine(ok ? "kernels smoke: every budget agrees (masked, sliced, loaded alone)" : "kernels smoke: MISMATCH");
                return ok ? 0 : 1;
            }

            var options = new KernelBenchmarkOptions
            {
                Threads = Math.Max(1, parse.GetValue(threads)),
                DecodeSteps = Math.Max(1, parse.GetValue(decodeSteps)),
                Repeats = Math.Max(1, parse.GetValue(repeats)),
            };
            if (File.Exists("/proc/loadavg"))
            {
                Console.WriteLine($"load average before: {File.ReadAllText("/proc/loadavg").Trim()} ({Environment.ProcessorCount} processors)");
            }

            var result = KernelBenchmark.Run(options, Console.WriteLine);
            Console.WriteLine($"{result.Config}, {result.Threads} threads");
            Console.WriteLine(JsonSerializer.Serialize(new Dictionary<string, object>
            {
                ["decode_tps_full"] = Math.Round(result.Full.DecodeTpsBatch8, 1),
                ["decode_tps_smallest"] = Math.Round(result.Smallest.DecodeTpsBatch8, 1),
                ["speedup_smallest_vs_full"] = Math.Round(result.SpeedupSmallestVsFull, 3),
                ["param_ratio_smallest"] = Math.Round(result.Smallest.ParamRatio, 3),
                ["switch_p99_ms"] = Math.Round(result.SwitchP99Ms, 4),
            }));
            return 0;
        });
        return command;
    }
}
