using System.Net.Http.Json;

namespace Nestor.Serving.Tests;

/// <summary>
/// A streaming request that holds a slot: it asks for many tokens and ignores EOS; <see cref="StartAsync"/> returns once
/// the first chunk arrived (the sequence is running). Disposing it disconnects the client.
/// </summary>
public sealed class LongRequest : IDisposable
{
    private readonly HttpResponseMessage _response;

    private LongRequest(HttpResponseMessage response, StreamReader reader)
    {
        _response = response;
        Reader = reader;
    }

    public StreamReader Reader { get; }

    public static async Task<LongRequest> StartAsync(HttpClient client, string model, int maxTokens = 20000)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/completions")
        {
            Content = JsonContent.Create(new { model, prompt = "hold the slot", max_tokens = maxTokens, ignore_eos = true, stream = true, seed = 5 }),
        };
        var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        response.EnsureSuccessStatusCode();
        var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
        await foreach (var _ in Sse.DataAsync(reader))
        {
            break;
        }

        return new LongRequest(response, reader);
    }

    public void Dispose()
    {
        Reader.Dispose();
        _response.Dispose();
    }
}
