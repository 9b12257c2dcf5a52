using System.Net.Http.Json;
using System.Text.Json.Nodes;

namespace Nestor.Quickstart;

/// <summary>An OpenAI-API client of one tier, through the tier's Service address.</summary>
public sealed class TierClient(HttpClient http, Uri baseUrl)
{
    public Uri BaseUrl { get; } = baseUrl;

    /// <summary>The model ids the tier serves (GET /v1/models).</summary>
    public async Task<IReadOnlyList<string>> ModelsAsync(CancellationToken cancellationToken)
    {
        var body = await http.GetFromJsonAsync<JsonObject>(new Uri(BaseUrl, "v1/models"), cancellationToken)
            ?? throw new InvalidDataException("GET /v1/models returned nothing");
        return body["data"]?.AsArray().Select(m => m?["id"]?.GetValue<string>() ?? "").Where(id => id.Length > 0).ToList() ?? [];
    }

    /// <summary>One non-streaming completion; returns the text and the completion tokens counted in usage.</summary>
    public async Task<(string Text, int CompletionTokens)> CompleteAsync(string model, string prompt, int maxTokens, CancellationToken cancellationToken)
    {
        var request = new JsonObject
        {
            ["model"] = model,
            ["prompt"] = prompt,
            ["max_tokens"] = maxTokens,
            ["temperature"] = 0,
        };
        using var response = await http.PostAsJsonAsync(new Uri(BaseUrl, "v1/completions"), request, cancellationToken);
        var body = await response.Content.ReadAsStringAsync(cancellationToken);
        if (!response.IsSuccessStatusCode)
        {
            throw new HttpRequestException($"POST /v1/completions: {(int)response.StatusCode}: {body}", null, response.StatusCode);
        }

        var json = JsonNode.Parse(body)!;
        var text = json["choices"]?[0]?["text"]?.GetValue<string>() ?? throw new InvalidDataException($"no choices[0].text in {body}");
        var tokens = json["usage"]?["completion_tokens"]?.GetValue<int>() ?? throw new InvalidDataException($"no usage.completion_tokens in {body}");
        return (text, tokens);
    }
}
