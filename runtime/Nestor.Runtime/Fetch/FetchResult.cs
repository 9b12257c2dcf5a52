using System.Text.Json;
using System.Text.Json.Serialization;

namespace Nestor.Runtime.Fetch;

/// <summary>
/// The one-line result `nestor fetch` (and the trainer) write to the termination log, which the
/// operator reads from the pod's status: the folder relative to the volume root, its digest and budgets.
/// </summary>
public sealed record FetchResult(
    [property: JsonPropertyName("path")] string Path,
    [property: JsonPropertyName("digest")] string Digest,
    [property: JsonPropertyName("budgets")] IReadOnlyList<FetchedBudget> Budgets)
{
    private static readonly JsonSerializerOptions Options = new() { DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull };

    public string ToJsonLine() => JsonSerializer.Serialize(this, Options);
}

public sealed record FetchedBudget(
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("params")] long Params,
    [property: JsonPropertyName("bytes")] long Bytes,
    [property: JsonPropertyName("accuracy")] double? Accuracy,
    [property: JsonPropertyName("perplexity")] double? Perplexity);

/// <summary>A fetch that cannot succeed as asked (bad source, digest mismatch, invalid checkpoint): exit 1 with the message.</summary>
public sealed class FetchException(string message, Exception? inner = null) : Exception(message, inner);
