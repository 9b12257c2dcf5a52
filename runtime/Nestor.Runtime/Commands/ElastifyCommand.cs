using System.CommandLine;
using System.Runtime.InteropServices;
using System.Text.Json;
using Nestor.Checkpoint;
using Nestor.Training;
using Nestor.Training.Config;
using Nestor.Training.Data;
using Nestor.Training.Elastic;

namespace Nestor.Runtime.Commands;

/// <summary>
/// `nestor elastify --config FILE --output DIR [--work-dir DIR]`: the CompressionRun trainer. Exit 0 when the
/// checkpoint is published or a termination signal stopped the run after saving its state, 2 for a bad configuration
/// or data, 1 for a training failure.
/// </summary>
public static class ElastifyCommand
{
    public static Command Build()
    {
        var config = new Option<string?>("--config") { Description = "The configuration (YAML or JSON: a CompressionRun spec or a whole CompressionRun). Default: $NESTOR_CONFIG." };
        var output = new Option<string?>("--output") { Description = "The folder under which the checkpoint is published as sha256-<hex>/. Default: $NESTOR_OUTPUT_DIR." };
        var workDir = new Option<string?>("--work-dir") { Description = "progress.json and the resumable state. Default: $NESTOR_WORK_DIR, else <output>/.work." };
        var volumeRoot = new Option<string?>("--volume-root") { Description = "Where relative paths of the configuration (parentModel.checkpoint.path, dataset.volume.path) are resolved when it names no volumes. Default: $NESTOR_VOLUME_ROOT, else the current folder." };
        var terminationLog = new Option<string?>("--termination-log") { Description = "Where the one-line JSON result goes. Default: /dev/termination-log when it exists." };
        var volumes = new Option<string[]>("--volume") { Description = "CLAIM=PATH: where a claim named by the configuration is mounted in this process (repeatable; wins over the configuration's volumes).", AllowMultipleArgumentsPerToken = false };
        var threads = new Option<int>("--threads") { Description = "Torch CPU threads (default: the number of processors).", DefaultValueFactory = _ => Environment.ProcessorCount };
        var command = new Command("elastify", "Train an elastic checkpoint with nested budgets from a parent model (importance, routers, distillation, two-stage curriculum).")
        {
            config, output, workDir, volumeRoot, volumes, terminationLog, threads,
        };
        command.SetAction(parse =>
        {
            TorchSharp.torch.set_num_threads(Math.Max(1, parse.GetValue(threads)));
            return Run(parse.GetValue(config) ?? Environment.GetEnvironmentVariable("NESTOR_CONFIG"),
                parse.GetValue(output) ?? Environment.GetEnvironmentVariable("NESTOR_OUTPUT_DIR"),
                parse.GetValue(workDir) ?? Environment.GetEnvironmentVariable("NESTOR_WORK_DIR"),
                parse.GetValue(volumeRoot) ?? Environment.GetEnvironmentVariable("NESTOR_VOLUME_ROOT"),
                parse.GetValue(terminationLog),
                parse.GetValue(volumes) ?? []);
        });
        return command;
    }

    public static int Run(string? configPath, string? outputDir, string? workDir, string? volumeRoot, string? terminationLog, IReadOnlyList<string>? volumes = null)
    {
        using var stop = new CancellationTokenSource();
        void OnSignal(PosixSignalContext context)
        {
            context.Cancel = true;
            Console.Error.WriteLine($"{context.Signal}: saving the state after this step, then exiting");
            stop.Cancel();
        }

        using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnSignal);
        using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, OnSignal);

        ElastifyPlan plan;
        try
        {
            if (string.IsNullOrEmpty(configPath) || string.IsNullOrEmpty(outputDir))
            {
                throw new ConfigException("--config (or NESTOR_CONFIG) and --output (or NESTOR_OUTPUT_DIR) are required");
            }

            var loaded = ConfigFile.Load(configPath);
            foreach (var volume in volumes ?? [])
            {
                var (claim, path) = volume.Split('=', 2) is [{ Length: > 0 } c, { Length: > 0 } p]
                    ? (c, p)
                    : throw new ConfigException($"--volume {volume}: expected CLAIM=PATH");
                loaded.Volumes ??= [];
                loaded.Volumes[claim] = path;
            }

            plan = ElastifyPlan.Resolve(loaded, configPath, outputDir, volumeRoot);
        }
        catch (ConfigException e)
        {
            return Fail(2, "invalid configuration: " + e.Message, null, terminationLog);
        }

        workDir ??= Path.Combine(outputDir, ".work");
        var trainer = new ElasticTrainer(plan, Path.GetFullPath(outputDir), Path.GetFullPath(workDir), Console.WriteLine);
        try
        {
            var result = trainer.Run(stop.Token);
            if (!result.Completed)
            {
                return 0;
            }

            var line = JsonSerializer.Serialize(new Dictionary<string, object>
            {
                ["path"] = result.RelativePath!,
                ["digest"] = result.Published!.Digest,
                ["budgets"] = result.Manifest!.Budgets.Select(b => new Dictionary<string, object?>
                {
                    ["name"] = b.Name,
                    ["params"] = b.Params,
                    ["bytes"] = b.Bytes,
                    ["accuracy"] = result.Eval!.Budgets.GetValueOrDefault(b.Name)?.Accuracy,
                    ["perplexity"] = result.Eval!.Budgets.GetValueOrDefault(b.Name)?.Perplexity,
                }).ToList(),
            });
            TerminationLog.Write(terminationLog, line);
            Console.WriteLine(JsonLine.Of(("event", "done"), ("path", result.RelativePath), ("digest", result.Published.Digest),
                ("tokens", result.Tokens), ("train_tokens_per_s", Math.Round(result.TrainTokensPerSecond, 1))));
            return 0;
        }
        catch (Exception e) when (e is ConfigException or DataFormatException)
        {
            return Fail(2, e.Message, trainer, terminationLog);
        }
        catch (OperationCanceledException)
        {
            // A signal arrived after the last step: the state is saved; the next run exports.
            return 0;
        }
        catch (Exception e)
        {
            return Fail(1, $"training failed: {e.GetType().Name}: {e.Message}", trainer, terminationLog, e);
        }
    }

    private static int Fail(int code, string message, ElasticTrainer? trainer, string? terminationLog, Exception? exception = null)
    {
        Console.Error.WriteLine(message);
        if (exception is not null)
        {
            Console.Error.WriteLine(exception);
        }

        if (trainer is not null)
        {
            try
            {
                var last = trainer.Progress.Last;
                trainer.Progress.Report(RunPhase.Failed, last?.Stage ?? 0, last?.Step ?? 0, last?.TotalSteps ?? 0, last?.Tokens ?? 0,
                    last?.Loss ?? new Dictionary<string, double>(), null, message);
            }
            catch (IOException)
            {
            }
        }

        TerminationLog.Write(terminationLog, JsonLine.Of(("error", message), ("exit_code", code)));
        return code;
    }
}
