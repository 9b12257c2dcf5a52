using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Nestor.Quickstart;

/// <summary>The steps of the scenario, in order, each with when it completed and what it found.</summary>
public sealed class ScenarioReport
{
    public static readonly IReadOnlyList<string> Steps =
    [
        "cluster-started", "operator-started", "teacher-on-volume", "manifests-applied", "training-succeeded",
        "model-has-checkpoint", "tiers-ready", "tiers-answered", "scaled-up", "scaled-down",
    ];

    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly Dictionary<string, (TimeSpan At, string Detail)> _done = new(StringComparer.Ordinal);
    private readonly object _lock = new();

    public TimeSpan Elapsed => _clock.Elapsed;

    /// <summary>Figures measured along the way (for the closing JSON line and `make bench`).</summary>
    public JsonObject Figures { get; } = [];

    public void Complete(string step, string detail = "")
    {
        if (!Steps.Contains(step))
        {
            throw new ArgumentException($"unknown step {step}", nameof(step));
        }

        lock (_lock)
        {
            _done.TryAdd(step, (_clock.Elapsed, detail));
        }

        Console.WriteLine($"[{Format(_clock.Elapsed)}] ✓ {step}{(detail.Length > 0 ? ": " + detail : "")}");
    }

    public bool IsComplete(string step)
    {
        lock (_lock)
        {
            return _done.ContainsKey(step);
        }
    }

    public IReadOnlyList<string> Missing(IEnumerable<string> required)
    {
        lock (_lock)
        {
            return required.Where(s => !_done.ContainsKey(s)).ToList();
        }
    }

    public string ToJson(IEnumerable<string> required)
    {
        var steps = new JsonObject();
        lock (_lock)
        {
            foreach (var step in Steps)
            {
                steps[step] = _done.TryGetValue(step, out var d) ? JsonValue.Create(Math.Round(d.At.TotalSeconds, 1)) : null;
            }
        }

        var json = new JsonObject
        {
            ["ok"] = Missing(required).Count == 0,
            ["missing"] = new JsonArray(Missing(required).Select(s => (JsonNode)JsonValue.Create(s)).ToArray()),
            ["steps_s"] = steps,
            ["figures"] = Figures.DeepClone(),
        };
        return json.ToJsonString(new JsonSerializerOptions { WriteIndented = false });
    }

    public static string Format(TimeSpan t) => $"{(int)t.TotalMinutes:00}:{t.Seconds:00}";
}
