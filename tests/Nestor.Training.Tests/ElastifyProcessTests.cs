using System.Diagnostics;
using System.Text.Json;
using Nestor.Checkpoint;
using Nestor.Testing;

namespace Nestor.Training.Tests;

/// <summary>
/// `nestor elastify` as a real child process (the nestor binary built beside the tests): publication, exit codes,
/// SIGTERM, and resume after SIGKILL giving the same checkpoint (bit for bit) as an uninterrupted run.
/// </summary>
public sealed class ElastifyProcessTests
{
    private static readonly string Nestor = Path.Combine(AppContext.BaseDirectory, "nestor");
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(8);

    private sealed class Run(ScratchDirectory scratch, string name)
    {
        public string Output => scratch.Combine(name, "checkpoints", "tiny-elastic");

        public string Work => scratch.Combine(name, "work");

        public string TerminationLog => scratch.Combine(name, "termination-log");

        public string[] Args(string config) =>
            ["elastify", "--config", config, "--output", Output, "--work-dir", Work, "--volume-root", scratch.Path, "--termination-log", TerminationLog, "--threads", "1"];

        public ProgressRecord Progress => ProgressRecord.Load(Path.Combine(Work, ProgressRecord.FileName));

        public string? State(long step) => Directory.Exists(Path.Combine(Work, "state", "step-" + step.ToString("D8")))
            ? Path.Combine(Work, "state", "step-" + step.ToString("D8")) : null;
    }

    private static string Setup(ScratchDirectory scratch, string yaml)
    {
        TinyTeacher.Write(scratch.Combine("teacher"));
        var config = scratch.Combine("config.yaml");
        File.WriteAllText(config, yaml);
        return config;
    }

    private static Process Start(string[] args)
    {
        var info = new ProcessStartInfo(Nestor) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args)
        {
            info.ArgumentList.Add(a);
        }

        var process = Process.Start(info)!;
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }

    private static async Task WaitFor(Func<bool> condition, Process process, string what)
    {
        var watch = Stopwatch.StartNew();
        while (!condition())
        {
            Assert.False(process.HasExited, $"the trainer exited (code {(process.HasExited ? process.ExitCode : 0)}) before {what}");
            Assert.True(watch.Elapsed < Timeout, $"timed out waiting for {what}");
            await Task.Delay(50);
        }
    }

    [Fact]
    public async Task ResumesAfterSigkillToTheSameCheckpointAsAnUninterruptedRun()
    {
        using var scratch = new ScratchDirectory("train-e2e");
        var config = Setup(scratch, TinyTeacher.ConfigYaml(stage1Steps: 6, stage2Steps: 6, checkpointInterval: 2));

        var straight = new Run(scratch, "straight");
        var first = await ProcessRunner.RunAsync(Nestor, straight.Args(config), timeout: Timeout);
        Assert.True(first.ExitCode == 0, first.Combined);

        // The published checkpoint: verified checksums, nested budgets, eval.json, progress and result.
        var progress = straight.Progress;
        var reference = progress.Checkpoint!;
        Assert.Equal(RunPhase.Succeeded, progress.Phase);
        Assert.Equal(12, progress.Step);
        Assert.Equal(new[] { "b40", "b60", "full" }, progress.Loss.Keys.Order());
        using (var checkpoint = CheckpointDirectory.Open(scratch.Combine(reference.Path), verifyChecksums: true))
        {
            Assert.Equal(reference.Digest, checkpoint.Digest);
            Assert.True(checkpoint.IsElastic);
            Assert.Equal(new[] { "full", "b60", "b40" }, checkpoint.Manifest.Budgets.Select(b => b.Name));
            Assert.True(checkpoint.Manifest.Budgets[2].Params < checkpoint.Manifest.Budgets[0].Params);
            Assert.Equal(5, checkpoint.Manifest.LayerRanking!.Count);
            var eval = checkpoint.ReadEval()!;
            Assert.Equal("arith-chains", eval.Task);
            Assert.Equal(3, eval.Budgets.Count);
        }

        using (var result = JsonDocument.Parse(File.ReadAllText(straight.TerminationLog)))
        {
            Assert.Equal(reference.Digest, result.RootElement.GetProperty("digest").GetString());
            Assert.Equal(reference.Path, result.RootElement.GetProperty("path").GetString());
            Assert.Equal(3, result.RootElement.GetProperty("budgets").GetArrayLength());
        }

        Assert.Contains("\"event\":\"progress\"", first.StandardOutput, StringComparison.Ordinal);
        AssertBudgetsNearTheirTargets(scratch.Combine(reference.Path));
        AssertLastArchitecturesAreTheExported(first.StandardOutput, scratch.Combine(reference.Path));

        // Every budget ran on every batch: the budget tokens are three times the data tokens.
        var (tokens, budgetTokens) = StateTokens(straight.State(12)!);
        Assert.Equal(progress.Tokens, tokens);
        Assert.Equal(3 * tokens, budgetTokens);

        // The same run, killed with SIGKILL once it has checkpointed step 4, then run again.
        var killed = new Run(scratch, "killed");
        using (var process = Start(killed.Args(config)))
        {
            await WaitFor(() => killed.State(4) is not null, process, "the step-4 checkpoint");
            process.Kill(); // SIGKILL
            await process.WaitForExitAsync();
        }

        Assert.False(Directory.Exists(killed.Output) && Directory.GetDirectories(killed.Output, "sha256-*").Length > 0);
        var resumed = await ProcessRunner.RunAsync(Nestor, killed.Args(config), timeout: Timeout);
        Assert.True(resumed.ExitCode == 0, resumed.Combined);
        Assert.Contains("\"event\":\"resume\"", resumed.StandardOutput, StringComparison.Ordinal);
        Assert.DoesNotContain("\"event\":\"importance\"", resumed.StandardOutput, StringComparison.Ordinal);
        Assert.Equal(reference.Digest, killed.Progress.Checkpoint!.Digest);
    }

    /// <summary>The last <c>architectures</c> event (after the final step) names the routed budgets with the sizes they were frozen to.</summary>
    private static void AssertLastArchitecturesAreTheExported(string stdout, string folder)
    {
        var line = stdout.Split('\n').Last(l => l.Contains("\"event\":\"architectures\"", StringComparison.Ordinal));
        using var doc = JsonDocument.Parse(line);
        var logged = doc.RootElement.GetProperty("budgets").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetString()!);
        using var checkpoint = CheckpointDirectory.Open(folder);
        var routed = checkpoint.Manifest.Budgets.Where(b => b.Name != "full").ToList();
        Assert.Equal(routed.Select(b => b.Name).Order(), logged.Keys.Order());
        foreach (var b in routed)
        {
            Assert.Equal(FormattableString.Invariant($"h{b.HiddenSize} f{b.IntermediateSize} m{b.MambaHeadsPerGroup} q{b.NumAttentionHeads} L{b.Layers.Count} {b.Params}"), logged[b.Name]);
        }
    }

    [Fact]
    public async Task SigtermSavesTheStateExitsZeroAndTheNextRunFinishes()
    {
        using var scratch = new ScratchDirectory("train-e2e");
        var config = Setup(scratch, TinyTeacher.ConfigYaml(stage1Steps: 30, stage2Steps: 30, checkpointInterval: 1000));
        var run = new Run(scratch, "run");
        using (var process = Start(run.Args(config)))
        {
            await WaitFor(() => File.Exists(Path.Combine(run.Work, ProgressRecord.FileName)) && run.Progress.Step >= 10, process, "step 10");
            var kill = await ProcessRunner.RunAsync("kill", ["-TERM", process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
            Assert.Equal(0, kill.ExitCode);
            await process.WaitForExitAsync().WaitAsync(Timeout);
            Assert.Equal(0, process.ExitCode);
        }

        var stopped = run.Progress;
        Assert.Contains("stopped by a termination signal", stopped.Message, StringComparison.Ordinal);
        Assert.NotNull(run.State(stopped.Step));
        Assert.True(stopped.Step is >= 10 and < 60);

        var rerun = await ProcessRunner.RunAsync(Nestor, run.Args(config), timeout: Timeout);
        Assert.True(rerun.ExitCode == 0, rerun.Combined);
        Assert.Contains($"\"step\":{stopped.Step}", rerun.StandardOutput, StringComparison.Ordinal);
        Assert.Equal(RunPhase.Succeeded, run.Progress.Phase);
    }

    [Fact]
    public async Task OneSampledBudgetPerBatchCountsEachDataTokenOnce()
    {
        using var scratch = new ScratchDirectory("train-e2e");
        var config = Setup(scratch, TinyTeacher.ConfigYaml(extra: "  trainerOptions:\n    budgetsPerStep: sampled\n    evalExamples: 2"));
        var run = new Run(scratch, "run");
        var result = await ProcessRunner.RunAsync(Nestor, run.Args(config), timeout: Timeout);
        Assert.True(result.ExitCode == 0, result.Combined);
        var (tokens, budgetTokens) = StateTokens(run.State(8)!);
        Assert.True(tokens > 0);
        Assert.Equal(tokens, budgetTokens);
        AssertBudgetsNearTheirTargets(scratch.Combine(run.Progress.Checkpoint!.Path));
    }

    [Fact]
    public async Task AStateOfAnOlderSchemaIsRefusedWithExitTwo()
    {
        using var scratch = new ScratchDirectory("train-e2e");
        var config = Setup(scratch, TinyTeacher.ConfigYaml());
        var run = new Run(scratch, "run");
        var old = Path.Combine(run.Work, "state", "step-00000002");
        Directory.CreateDirectory(old);
        File.WriteAllText(Path.Combine(old, "state.json"), """{"schema_version": 1, "step": 2, "tokens": 64, "fingerprint": "x", "layer_ranking": [0, 1, 2, 3, 4]}""");
        var result = await ProcessRunner.RunAsync(Nestor, run.Args(config), timeout: Timeout);
        Assert.Equal(2, result.ExitCode);
        Assert.Contains("trainer state schema 1", result.StandardError, StringComparison.Ordinal);
    }

    private static (long Tokens, long BudgetTokens) StateTokens(string folder)
    {
        using var state = JsonDocument.Parse(File.ReadAllText(Path.Combine(folder, "state.json")));
        Assert.Equal(2, state.RootElement.GetProperty("schema_version").GetInt32());
        return (state.RootElement.GetProperty("tokens").GetInt64(), state.RootElement.GetProperty("budget_tokens").GetInt64());
    }

    /// <summary>The exported budgets are within the default size tolerance (3 %) of their targets.</summary>
    private static void AssertBudgetsNearTheirTargets(string checkpointPath)
    {
        using var checkpoint = CheckpointDirectory.Open(checkpointPath);
        foreach (var budget in checkpoint.Manifest.Budgets)
        {
            long target = budget.TargetParams!.Value;
            Assert.True(Math.Abs(budget.Params - target) <= 0.03 * target, $"{budget.Name}: {budget.Params:N0} parameters for a target of {target:N0}");
        }
    }

    [Fact]
    public async Task BadConfigurationExitsTwoNamingTheField()
    {
        using var scratch = new ScratchDirectory("train-e2e");
        var config = Setup(scratch, TinyTeacher.ConfigYaml().Replace("targetFraction: 0.6", "targetFraction: 1.6", StringComparison.Ordinal));
        var run = new Run(scratch, "run");
        Directory.CreateDirectory(scratch.Combine("run"));
        var result = await ProcessRunner.RunAsync(Nestor, run.Args(config), timeout: Timeout);
        Assert.Equal(2, result.ExitCode);
        Assert.Contains("budgets[1].targetFraction", result.StandardError, StringComparison.Ordinal);
        Assert.Contains("\"exit_code\":2", File.ReadAllText(run.TerminationLog), StringComparison.Ordinal);
    }

    [Fact]
    public async Task CorruptParentWeightsExitOneWithAFailedProgressRecord()
    {
        using var scratch = new ScratchDirectory("train-e2e");
        var config = Setup(scratch, TinyTeacher.ConfigYaml());
        var weights = scratch.Combine("teacher", "model.safetensors");
        var bytes = File.ReadAllBytes(weights);
        File.WriteAllBytes(weights, bytes[..(bytes.Length / 2)]);
        var run = new Run(scratch, "run");
        var result = await ProcessRunner.RunAsync(Nestor, run.Args(config), timeout: Timeout);
        Assert.Equal(1, result.ExitCode);
        Assert.Contains("model.safetensors", result.StandardError, StringComparison.Ordinal);
        Assert.Equal(RunPhase.Failed, run.Progress.Phase);
    }
}
