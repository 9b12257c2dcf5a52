using System.Text.Json;

namespace Nestor.Serving.Tests;

/// <summary>Reads a server-sent event stream: the JSON of each <c>data:</c> line, until <c>[DONE]</c>.</summary>
public static class Sse
{
    public static async Task<(List<JsonElement> Chunks, bool Done)> ReadAllAsync(HttpResponseMessage response, CancellationToken cancellationToken = default)
    {
        var chunks = new List<JsonElement>();
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(cancellationToken));
        await foreach (var data in DataAsync(reader, cancellationToken))
        {
            if (data == "[DONE]")
            {
                return (chunks, true);
            }

            chunks.Add(JsonDocument.Parse(data).RootElement.Clone());
        }

        return (chunks, false);
    }

    public static async IAsyncEnumerable<string> DataAsync(StreamReader reader, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        while (await reader.ReadLineAsync(cancellationToken) is { } line)
        {
            if (line.StartsWith("data: ", StringComparison.Ordinal))
            {
                yield return line["data: ".Length..];
            }
            else if (line.Length != 0)
            {
                throw new InvalidDataException($"not an SSE data line: {line}");
            }
        }
    }
}
