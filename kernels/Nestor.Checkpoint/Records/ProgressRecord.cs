using System.Text.Json.Serialization;

namespace Nestor.Checkpoint;

/// <summary>The phases of a CompressionRun, as the trainer reports them in progress.json.</summary>
public enum RunPhase
{
    Pending,
    EstimatingImportance,
    TrainingStage1,
    TrainingStage2,
    Exporting,
    Succeeded,
    Failed,
}

/// <summary>Where a finished run published its checkpoint: a path relative to the volume root, and the digest.</summary>
public sealed record CheckpointReference(string Path, string Digest);

/// <summary>
/// <c>progress.json</c> in a run's work folder: what the operator shows in the CompressionRun status. Replaced
/// atomically by <see cref="Save"/>, so a reader sees the old or the new record, never half of one.
/// </summary>
public sealed record ProgressRecord
{
    public const string FileName = "progress.json";
    public const int CurrentSchemaVersion = 1;

    [JsonRequired]
    public int SchemaVersion { get; init; } = CurrentSchemaVersion;

    public required RunPhase Phase { get; init; }

    public int Stage { get; init; }

    public long Step { get; init; }

    public long TotalSteps { get; init; }

    public long Tokens { get; init; }

    /// <summary>Latest training loss per budget name.</summary>
    public IReadOnlyDictionary<string, double> Loss { get; init; } = new Dictionary<string, double>();

    public double? EtaSeconds { get; init; }

    public DateTimeOffset UpdatedAt { get; init; }

    public string? Message { get; init; }

    /// <summary>Set on <see cref="RunPhase.Succeeded"/>.</summary>
    public CheckpointReference? Checkpoint { get; init; }

    public static ProgressRecord Parse(string json, string source = FileName) =>
        RecordJson.Parse<ProgressRecord>(json, source, r => r.SchemaVersion, CurrentSchemaVersion);

    public static ProgressRecord Load(string path) => RecordJson.Load<ProgressRecord>(path, r => r.SchemaVersion, CurrentSchemaVersion);

    public string ToJsonString() => RecordJson.Serialize(this);

    public void Save(string path) => AtomicFile.WriteAllText(path, ToJsonString());
}
