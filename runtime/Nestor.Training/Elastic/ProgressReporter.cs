using Nestor.Checkpoint;

namespace Nestor.Training.Elastic;

/// <summary>Writes progress.json (atomically) in the work folder and the same facts as a JSON line on stdout.</summary>
public sealed class ProgressReporter(string workDir, Action<string> log)
{
    public string ProgressPath { get; } = Path.Combine(workDir, ProgressRecord.FileName);

    public ProgressRecord? Last { get; private set; }

    public void Report(RunPhase phase, int stage, long step, long totalSteps, long tokens, IReadOnlyDictionary<string, double> loss,
        double? etaSeconds, string? message = null, CheckpointReference? checkpoint = null, string? stageName = null)
    {
        var record = new ProgressRecord
        {
            Phase = phase,
            Stage = stage,
            Step = step,
            TotalSteps = totalSteps,
            Tokens = tokens,
            Loss = loss.ToDictionary(p => p.Key, p => Math.Round(p.Value, 5)),
            EtaSeconds = etaSeconds is { } eta ? Math.Round(eta) : null,
            UpdatedAt = DateTimeOffset.UtcNow,
            Message = message,
            Checkpoint = checkpoint,
        };
        Directory.CreateDirectory(workDir);
        record.Save(ProgressPath);
        Last = record;
        log(JsonLine.Of(("event", "progress"), ("schema_version", ProgressRecord.CurrentSchemaVersion), ("phase", phase.ToString()), ("stage", stage), ("stage_name", stageName), ("step", step),
            ("total_steps", totalSteps), ("tokens", tokens), ("loss", record.Loss), ("eta_seconds", record.EtaSeconds), ("message", message),
            ("checkpoint", checkpoint is null ? null : new Dictionary<string, string> { ["path"] = checkpoint.Path, ["digest"] = checkpoint.Digest })));
    }
}
