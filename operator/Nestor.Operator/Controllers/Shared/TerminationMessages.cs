using System.Text.Json;
using System.Text.Json.Nodes;
using k8s.Models;

namespace Nestor.Operator.Controllers.Shared;

/// <summary>
/// The one-line JSON result a `nestor` command writes to /dev/termination-log
/// ({"path":..., "digest":..., "budgets":[...]}), read back from the pod's status.
/// </summary>
public sealed record CheckpointResult(string Path, string Digest, IReadOnlyList<ResultBudget> Budgets)
{
    /// <summary>Parses a result line; budgets may be names or objects {name, params, bytes, accuracy, perplexity}.</summary>
    public static CheckpointResult? TryParse(string? message, out string? error)
    {
        error = null;
        if (string.IsNullOrWhiteSpace(message))
        {
            error = "the pod left no termination message";
            return null;
        }

        var line = message.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .LastOrDefault(l => l.StartsWith('{'));
        if (line is null)
        {
            error = "the termination message holds no JSON result: " + Truncate(message);
            return null;
        }

        try
        {
            var node = JsonNode.Parse(line)?.AsObject();
            var path = node?["path"]?.GetValue<string>();
            var digest = node?["digest"]?.GetValue<string>();
            if (string.IsNullOrEmpty(path) || string.IsNullOrEmpty(digest))
            {
                error = "the result lacks path or digest: " + Truncate(line);
                return null;
            }

            var budgets = new List<ResultBudget>();
            foreach (var item in node!["budgets"]?.AsArray() ?? [])
            {
                budgets.Add(item switch
                {
                    JsonValue v => new ResultBudget(v.GetValue<string>(), null, null, null, null),
                    JsonObject o => new ResultBudget(o["name"]?.GetValue<string>() ?? "", Long(o["params"]), Long(o["bytes"]),
                        Double(o["accuracy"]), Double(o["perplexity"])),
                    _ => throw new JsonException("a budget is neither a name nor an object"),
                });
            }

            return new CheckpointResult(path, digest, budgets);
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or FormatException)
        {
            error = $"the result is not valid JSON ({e.Message}): {Truncate(line)}";
            return null;
        }
    }

    /// <summary>The termination message of the first terminated container (or init container) of the pod.</summary>
    public static string? MessageOf(V1Pod pod) =>
        (pod.Status?.ContainerStatuses ?? []).Concat(pod.Status?.InitContainerStatuses ?? [])
            .Select(s => s.State?.Terminated ?? s.LastState?.Terminated)
            .Where(t => t is not null)
            .OrderBy(t => t!.ExitCode == 0 ? 0 : 1)
            .Select(t => t!.Message)
            .FirstOrDefault(m => !string.IsNullOrEmpty(m));

    private static long? Long(JsonNode? node) => node is JsonValue v && v.TryGetValue<long>(out var l) ? l : null;

    private static double? Double(JsonNode? node) => node is JsonValue v && v.TryGetValue<double>(out var d) ? d : null;

    private static string Truncate(string text) => text.Length <= 300 ? text : text[..300] + "...";
}

public sealed record ResultBudget(string Name, long? Params, long? Bytes, double? Accuracy, double? Perplexity);
