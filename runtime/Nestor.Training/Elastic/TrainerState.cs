using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using Nestor.Checkpoint;

namespace Nestor.Training.Elastic;

/// <summary>
/// The resumable state of an elastify run, one folder per checkpointed step under <c>&lt;work&gt;/state/</c>:
/// <c>step-NNNNNNNN/</c> with the student's weights (importance-sorted), the routers, both optimizers' state and
/// <c>state.json</c> (step, data and budget tokens, losses, layer ranking, the configuration's fingerprint). Every random draw of
/// step t is a function of (seed, t), so the step number is the random state. A folder is written as
/// <c>.tmp-step-NNNNNNNN</c> and renamed when complete, so a crash leaves either the old or the new state; the
/// two newest are kept.
/// </summary>
public sealed record TrainerState
{
    public const string StudentFile = "student.bin";
    public const string RoutersFile = "routers.bin";
    public const string ModelOptimizerFile = "model-optimizer.bin";
    public const string RouterOptimizerFile = "router-optimizer.bin";
    public const string StateFile = "state.json";

    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    /// <summary>2: multi-budget steps and <see cref="BudgetTokens"/>; a state of schema 1 is refused.</summary>
    public const int CurrentSchemaVersion = 2;

    [JsonPropertyName("schema_version")] public int SchemaVersion { get; init; } = CurrentSchemaVersion;

    public long Step { get; init; }

    /// <summary>Data tokens trained on (each batch once).</summary>
    public long Tokens { get; init; }

    /// <summary>Tokens passed through a budget (each batch once per budget run on it).</summary>
    public long BudgetTokens { get; init; }

    public required string Fingerprint { get; init; }

    public required IReadOnlyList<int> LayerRanking { get; init; }

    public Dictionary<string, double> Loss { get; init; } = [];

    public double ElapsedSeconds { get; init; }

    public static string StateRoot(string workDir) => Path.Combine(workDir, "state");

    public static string FolderName(long step) => "step-" + step.ToString("D8", CultureInfo.InvariantCulture);

    /// <summary>The newest complete state folder, or null.</summary>
    public static string? Latest(string workDir)
    {
        var root = StateRoot(workDir);
        return Directory.Exists(root)
            ? Directory.GetDirectories(root, "step-*").Where(d => File.Exists(Path.Combine(d, StateFile))).Order(StringComparer.Ordinal).LastOrDefault()
            : null;
    }

    public static TrainerState Read(string folder)
    {
        var path = Path.Combine(folder, StateFile);
        try
        {
            return JsonSerializer.Deserialize<TrainerState>(File.ReadAllText(path), Json) ?? throw new JsonException("empty");
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{path}: unreadable trainer state: {e.Message}");
        }
    }

    /// <summary>Writes a state folder atomically: <paramref name="writeFiles"/> fills a temporary folder, then it is renamed.</summary>
    public string Write(string workDir, Action<string> writeFiles)
    {
        var root = StateRoot(workDir);
        Directory.CreateDirectory(root);
        var final = Path.Combine(root, FolderName(Step));
        var temporary = Path.Combine(root, ".tmp-" + FolderName(Step) + "-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(temporary);
        writeFiles(temporary);
        AtomicFile.WriteAllText(Path.Combine(temporary, StateFile), JsonSerializer.Serialize(this, Json));
        if (Directory.Exists(final))
        {
            Directory.Delete(final, recursive: true);
        }

        Directory.Move(temporary, final);
        foreach (var old in Directory.GetDirectories(root, "step-*").Order(StringComparer.Ordinal).SkipLast(2))
        {
            Directory.Delete(old, recursive: true);
        }

        foreach (var abandoned in Directory.GetDirectories(root, ".tmp-*"))
        {
            Directory.Delete(abandoned, recursive: true);
        }

        return final;
    }
}
