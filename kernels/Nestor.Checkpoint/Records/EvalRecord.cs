using System.Text.Json.Serialization;

namespace Nestor.Checkpoint;

/// <summary>Evaluation of one budget.</summary>
public sealed record BudgetEvaluation(long Params, double? Accuracy, double? Perplexity);

/// <summary><c>eval.json</c>: per-budget evaluation written by the trainer or <c>nestor eval</c>.</summary>
public sealed record EvalRecord
{
    public const string FileName = "eval.json";
    public const int CurrentSchemaVersion = 1;

    [JsonRequired]
    public int SchemaVersion { get; init; } = CurrentSchemaVersion;

    public required string Task { get; init; }

    public required string Split { get; init; }

    public int Examples { get; init; }

    /// <summary>By budget name.</summary>
    public required IReadOnlyDictionary<string, BudgetEvaluation> Budgets { get; init; }

    public static EvalRecord Parse(string json, string source = FileName) =>
        RecordJson.Parse<EvalRecord>(json, source, r => r.SchemaVersion, CurrentSchemaVersion);

    public static EvalRecord Load(string path) => RecordJson.Load<EvalRecord>(path, r => r.SchemaVersion, CurrentSchemaVersion);

    public string ToJsonString() => RecordJson.Serialize(this);

    public void Save(string path) => AtomicFile.WriteAllText(path, ToJsonString());
}
