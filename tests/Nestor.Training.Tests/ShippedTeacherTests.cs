using Nestor.Checkpoint;
using Nestor.Testing;

namespace Nestor.Training.Tests;

/// <summary>The teacher shipped in models/tiny-teacher: what make run, the quickstart and the presets start from.</summary>
public sealed class ShippedTeacherTests
{
    private static readonly string Folder = RepoPaths.Combine("models", "tiny-teacher");

    [Fact]
    public void ShippedTeacherIsAVerifiedSmallPlainCheckpointWithItsEvaluation()
    {
        using var checkpoint = CheckpointDirectory.Open(Folder, verifyChecksums: true);
        Assert.False(checkpoint.IsElastic);
        Assert.Equal("nemotron_h", checkpoint.Config.Json["model_type"]!.GetValue<string>());
        long bytes = Directory.GetFiles(Folder).Sum(f => new FileInfo(f).Length);
        Assert.True(bytes <= 20L * 1000 * 1000, $"{bytes} bytes");
        var eval = checkpoint.ReadEval()!;
        Assert.Equal("arith-chains", eval.Task);
        Assert.True(eval.Budgets["full"].Accuracy > 0.1, $"teacher accuracy {eval.Budgets["full"].Accuracy}");
        Assert.Contains("nestor train-teacher", File.ReadAllText(Path.Combine(Folder, "README.md")), StringComparison.Ordinal);
    }

    [Fact]
    public void QuickstartNamesTheShippedTeacher()
    {
        var run = File.ReadAllText(RepoPaths.Combine("examples", "quickstart", "10-compressionrun.yaml"));
        Assert.Contains("path: models/tiny-teacher", run, StringComparison.Ordinal);
    }

    [Fact]
    public async Task TinyPresetElastifiesTheShippedTeacherEndToEnd()
    {
        using var scratch = new ScratchDirectory("train-preset");
        var result = await ProcessRunner.RunAsync(Path.Combine(AppContext.BaseDirectory, "nestor"),
            ["elastify", "--config", "runtime/Nestor.Training/Presets/tiny-e2e.yaml", "--output", scratch.Combine("checkpoints", "tiny"),
             "--work-dir", scratch.Combine("work"), "--volume-root", RepoPaths.Root, "--termination-log", scratch.Combine("result")],
            timeout: TimeSpan.FromMinutes(8));
        Assert.True(result.ExitCode == 0, result.Combined);
        var progress = ProgressRecord.Load(scratch.Combine("work", ProgressRecord.FileName));
        Assert.Equal(RunPhase.Succeeded, progress.Phase);
        using var checkpoint = CheckpointDirectory.Open(progress.Checkpoint!.Path, verifyChecksums: true);
        Assert.Equal(new[] { "full", "b50" }, checkpoint.Manifest.Budgets.Select(b => b.Name));
        Assert.True(checkpoint.Manifest.Get("b50").Params < checkpoint.Manifest.Get("full").Params * 0.7);
    }
}
