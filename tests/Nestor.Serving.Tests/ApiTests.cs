using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;

namespace Nestor.Serving.Tests;

/// <summary>The OpenAI wire format and every request error, over real HTTP on loopback.</summary>
[Collection(ServingCollection.Name)]
public sealed class ApiTests(TinyCheckpoint checkpoint)
{
    private readonly TestServer _server = checkpoint.Shared;

    [Fact]
    public async Task ModelsListsOneEntryPerBudgetDefaultUnderTheBareName()
    {
        using var doc = JsonDocument.Parse(await _server.Client.GetStringAsync("/v1/models"));
        Assert.Equal("list", doc.RootElement.GetProperty("object").GetString());
        var data = doc.RootElement.GetProperty("data").EnumerateArray().ToList();
        Assert.Equal(["tiny-elastic", "tiny-elastic@b75", "tiny-elastic@b50"], data.Select(d => d.GetProperty("id").GetString()));
        Assert.All(data, d => Assert.Equal("model", d.GetProperty("object").GetString()));
        Assert.Equal(["full", "b75", "b50"], data.Select(d => d.GetProperty("budget").GetString()));
        Assert.True(data[0].GetProperty("params").GetInt64() > data[2].GetProperty("params").GetInt64());
    }

    [Fact]
    public async Task CompletionHasOpenAiShapeAndUsage()
    {
        var (response, body) = await _server.PostAsync("/v1/completions", new { model = "tiny-elastic", prompt = "Hello", max_tokens = 7, seed = 1, ignore_eos = true });
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.StartsWith("cmpl-", body.GetProperty("id").GetString());
        Assert.Equal("text_completion", body.GetProperty("object").GetString());
        Assert.True(body.GetProperty("created").GetInt64() > 1_700_000_000);
        Assert.Equal("tiny-elastic", body.GetProperty("model").GetString());
        var choice = Assert.Single(body.GetProperty("choices").EnumerateArray());
        Assert.Equal(0, choice.GetProperty("index").GetInt32());
        Assert.Equal(JsonValueKind.String, choice.GetProperty("text").ValueKind);
        Assert.Equal(JsonValueKind.Null, choice.GetProperty("logprobs").ValueKind);
        Assert.Equal("length", choice.GetProperty("finish_reason").GetString());
        var usage = body.GetProperty("usage");
        Assert.Equal(6, usage.GetProperty("prompt_tokens").GetInt32()); // BOS + 5 bytes
        Assert.Equal(7, usage.GetProperty("completion_tokens").GetInt32());
        Assert.Equal(13, usage.GetProperty("total_tokens").GetInt32());
        Assert.Equal("full", response.Headers.GetValues("x-nestor-served-budget").Single());
        Assert.Equal("full", body.GetProperty("served_budget").GetString());
        Assert.False(body.GetProperty("degraded").GetBoolean());
    }

    [Fact]
    public async Task StreamedCompletionEqualsTheWholeOneAndEndsWithDone()
    {
        var request = new { model = "tiny-elastic@b50", prompt = "stream me", max_tokens = 12, seed = 42, temperature = 0.8, ignore_eos = true };
        var (_, whole) = await _server.PostAsync("/v1/completions", request);
        using var response = await PostStreamAsync("/v1/completions", new { request.model, request.prompt, request.max_tokens, request.seed, request.temperature, request.ignore_eos, stream = true });
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType!.MediaType);
        Assert.Equal("b50", response.Headers.GetValues("x-nestor-served-budget").Single());
        var (chunks, done) = await Sse.ReadAllAsync(response);
        Assert.True(done, "the stream ends with data: [DONE]");
        var id = chunks[0].GetProperty("id").GetString();
        Assert.All(chunks, c =>
        {
            Assert.Equal(id, c.GetProperty("id").GetString());
            Assert.Equal("text_completion", c.GetProperty("object").GetString());
            Assert.Equal("tiny-elastic@b50", c.GetProperty("model").GetString());
        });
        var usageChunk = chunks[^1];
        Assert.Empty(usageChunk.GetProperty("choices").EnumerateArray());
        Assert.Equal(12, usageChunk.GetProperty("usage").GetProperty("completion_tokens").GetInt32());
        var textChunks = chunks[..^1];
        Assert.Equal("length", textChunks[^1].GetProperty("choices")[0].GetProperty("finish_reason").GetString());
        Assert.All(textChunks[..^1], c => Assert.Equal(JsonValueKind.Null, c.GetProperty("choices")[0].GetProperty("finish_reason").ValueKind));
        var text = string.Concat(textChunks.Select(c => c.GetProperty("choices")[0].GetProperty("text").GetString()));
        Assert.Equal(whole.GetProperty("choices")[0].GetProperty("text").GetString(), text);
    }

    [Fact]
    public async Task StreamedChatStartsWithTheRoleAndEndsWithFinishReasonUsageAndDone()
    {
        using var response = await PostStreamAsync("/v1/chat/completions", new
        {
            model = "tiny-elastic",
            budget = "b75",
            stream = true,
            max_tokens = 5,
            seed = 3,
            ignore_eos = true,
            messages = new object[] { new { role = "system", content = "be brief" }, new { role = "user", content = new[] { new { type = "text", text = "hi" } } } },
        });
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var (chunks, done) = await Sse.ReadAllAsync(response);
        Assert.True(done);
        Assert.All(chunks, c => Assert.Equal("chat.completion.chunk", c.GetProperty("object").GetString()));
        Assert.All(chunks, c => Assert.Equal("tiny-elastic@b75", c.GetProperty("model").GetString()));
        var first = chunks[0].GetProperty("choices")[0];
        Assert.Equal("assistant", first.GetProperty("delta").GetProperty("role").GetString());
        Assert.Equal("", first.GetProperty("delta").GetProperty("content").GetString());
        var finish = chunks[^2].GetProperty("choices")[0];
        Assert.Equal("length", finish.GetProperty("finish_reason").GetString());
        Assert.Empty(finish.GetProperty("delta").EnumerateObject());
        Assert.All(chunks[1..^2], c => Assert.True(c.GetProperty("choices")[0].GetProperty("delta").TryGetProperty("content", out _)));
        var usage = chunks[^1].GetProperty("usage");
        Assert.Equal(5, usage.GetProperty("completion_tokens").GetInt32());
        // BOS + "<|system|>\nbe brief\n<|user|>\nhi\n<|assistant|>\n"
        Assert.Equal(1 + Encoding.UTF8.GetByteCount("<|system|>\nbe brief\n<|user|>\nhi\n<|assistant|>\n"), usage.GetProperty("prompt_tokens").GetInt32());
    }

    [Fact]
    public async Task ChatCompletionHasOpenAiShape()
    {
        var (response, body) = await _server.PostAsync("/v1/chat/completions", new
        {
            model = "tiny-elastic@b50",
            max_tokens = 4,
            seed = 9,
            messages = new[] { new { role = "user", content = "hello" } },
        });
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.StartsWith("chatcmpl-", body.GetProperty("id").GetString());
        Assert.Equal("chat.completion", body.GetProperty("object").GetString());
        var choice = Assert.Single(body.GetProperty("choices").EnumerateArray());
        Assert.Equal("assistant", choice.GetProperty("message").GetProperty("role").GetString());
        Assert.Equal(JsonValueKind.String, choice.GetProperty("message").GetProperty("content").ValueKind);
        Assert.Contains(choice.GetProperty("finish_reason").GetString(), new[] { "stop", "length" });
        Assert.True(body.GetProperty("usage").GetProperty("completion_tokens").GetInt32() is >= 1 and <= 4);
    }

    [Fact]
    public async Task TheSameSeedGivesTheSameOutputAndAnotherSeedAnother()
    {
        async Task<string> Run(int seed)
        {
            var (_, body) = await _server.PostAsync("/v1/completions", new { model = "tiny-elastic", prompt = "seeded", max_tokens = 24, seed, top_k = 50, top_p = 0.95, ignore_eos = true });
            return body.GetProperty("choices")[0].GetProperty("text").GetString()!;
        }

        var first = await Run(7);
        Assert.Equal(first, await Run(7));
        Assert.NotEqual(first, await Run(8));
    }

    [Fact]
    public async Task AStopStringEndsTheTextBeforeIt()
    {
        var (_, greedy) = await _server.PostAsync("/v1/completions", new { model = "tiny-elastic", prompt = "abc", max_tokens = 32, temperature = 0, ignore_eos = true });
        var text = greedy.GetProperty("choices")[0].GetProperty("text").GetString()!;
        Assert.True(text.Length >= 8, $"greedy text too short to cut: '{text}'");
        var stop = text.Substring(text.Length / 2, 2);
        var expected = text[..text.IndexOf(stop, StringComparison.Ordinal)];
        foreach (var stream in new[] { false, true })
        {
            var request = new { model = "tiny-elastic", prompt = "abc", max_tokens = 32, temperature = 0, ignore_eos = true, stop = new[] { stop }, stream };
            string got;
            string? finish;
            if (stream)
            {
                using var response = await PostStreamAsync("/v1/completions", request);
                var (chunks, _) = await Sse.ReadAllAsync(response);
                got = string.Concat(chunks[..^1].Select(c => c.GetProperty("choices")[0].GetProperty("text").GetString()));
                finish = chunks[^2].GetProperty("choices")[0].GetProperty("finish_reason").GetString();
            }
            else
            {
                var (_, body) = await _server.PostAsync("/v1/completions", request);
                got = body.GetProperty("choices")[0].GetProperty("text").GetString()!;
                finish = body.GetProperty("choices")[0].GetProperty("finish_reason").GetString();
            }

            Assert.Equal(expected, got);
            Assert.Equal("stop", finish);
        }
    }

    [Fact]
    public async Task PromptAsTokenIdsIsAccepted()
    {
        var (response, body) = await _server.PostAsync("/v1/completions", new { model = "tiny-elastic", prompt = new[] { 256, 72, 105 }, max_tokens = 3, ignore_eos = true });
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(3, body.GetProperty("usage").GetProperty("prompt_tokens").GetInt32());
    }

    public static TheoryData<string, object, int, string?, string?> Errors => new()
    {
        { "/v1/completions", new { model = "gpt-4", prompt = "x" }, 404, "model", "model_not_found" },
        { "/v1/completions", new { model = "tiny-elastic@b10", prompt = "x" }, 404, "model", "model_not_found" },
        { "/v1/completions", new { model = "tiny-elastic", budget = "b10", prompt = "x" }, 404, "budget", "model_not_found" },
        { "/v1/completions", new { model = "tiny-elastic@b50", budget = "b75", prompt = "x" }, 400, "budget", null },
        { "/v1/completions", new { prompt = "x" }, 400, "model", null },
        { "/v1/completions", new { model = "tiny-elastic" }, 400, "prompt", null },
        { "/v1/completions", new { model = "tiny-elastic", prompt = 5 }, 400, "prompt", null },
        { "/v1/completions", new { model = "tiny-elastic", prompt = new[] { 1, 999 } }, 400, "prompt", null },
        { "/v1/completions", new { model = "tiny-elastic", prompt = "x", temperature = 3 }, 400, "temperature", null },
        { "/v1/completions", new { model = "tiny-elastic", prompt = "x", temperature = "hot" }, 400, "temperature", null },
        { "/v1/completions", new { model = "tiny-elastic", prompt = "x", top_p = 0 }, 400, "top_p", null },
        { "/v1/completions", new { model = "tiny-elastic", prompt = "x", top_k = 1.5 }, 400, "top_k", null },
        { "/v1/completions", new { model = "tiny-elastic", prompt = "x", max_tokens = 0 }, 400, "max_tokens", null },
        { "/v1/completions", new { model = "tiny-elastic", prompt = "x", max_tokens = 33 }, 400, "max_tokens", null },
        { "/v1/completions", new { model = "tiny-elastic", prompt = "x", stop = new[] { "a", "b", "c", "d", "e" } }, 400, "stop", null },
        { "/v1/completions", new { model = "tiny-elastic", prompt = "x", seed = "s" }, 400, "seed", null },
        { "/v1/completions", new { model = "tiny-elastic", prompt = "x", stream = "yes" }, 400, "stream", null },
        { "/v1/completions", new { model = "tiny-elastic", prompt = "x", n = 2 }, 400, "n", null },
        { "/v1/completions", new { model = "tiny-elastic", prompt = new string('x', 64) }, 400, "prompt", "context_length_exceeded" },
        { "/v1/chat/completions", new { model = "tiny-elastic" }, 400, "messages", null },
        { "/v1/chat/completions", new { model = "tiny-elastic", messages = Array.Empty<object>() }, 400, "messages", null },
        { "/v1/chat/completions", new { model = "tiny-elastic", messages = new[] { new { role = "wizard", content = "x" } } }, 400, "messages[0].role", null },
        { "/v1/chat/completions", new { model = "tiny-elastic", messages = new[] { new { role = "user", content = 1 } } }, 400, "messages[0].content", null },
    };

    [Theory]
    [MemberData(nameof(Errors))]
    public async Task ErrorsUseOpenAiErrorJsonNamingTheField(string path, object request, int status, string? param, string? code)
    {
        var (response, body) = await _server.PostAsync(path, request);
        Assert.Equal(status, (int)response.StatusCode);
        AssertError(body, param, code);
    }

    [Fact]
    public async Task MalformedJsonIs400()
    {
        using var response = await _server.Client.PostAsync("/v1/completions", new StringContent("{\"model\": \"tiny-elastic\", ", Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        AssertError(JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement, "body", null);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task ABodyOverTheLimitIs413(bool chunked)
    {
        var big = "{\"model\": \"tiny-elastic\", \"prompt\": \"" + new string('x', 100 * 1024) + "\"}";
        HttpContent content = chunked
            ? new StreamContent(new MemoryStream(Encoding.UTF8.GetBytes(big)))
            : new StringContent(big, Encoding.UTF8, "application/json");
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/completions") { Content = content };
        if (chunked)
        {
            request.Headers.TransferEncodingChunked = true;
        }

        using var response = await _server.Client.SendAsync(request);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        AssertError(JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement, "body", "request_too_large");
    }

    [Fact]
    public async Task HealthReadinessAndMetrics()
    {
        Assert.Equal("ok\n", await _server.Client.GetStringAsync("/healthz"));
        Assert.Equal("ready\n", await _server.Client.GetStringAsync("/readyz"));
        var (_, body) = await _server.PostAsync("/v1/completions", new { model = "tiny-elastic@b75", prompt = "count me", max_tokens = 5, ignore_eos = true });
        Assert.Equal(5, body.GetProperty("usage").GetProperty("completion_tokens").GetInt32());
        var metrics = await _server.Client.GetStringAsync("/metrics");
        foreach (var budget in new[] { "full", "b75", "b50" })
        {
            Assert.Contains($"nestor_requests_waiting{{budget=\"{budget}\"}} 0", metrics);
            Assert.Contains($"nestor_requests_running{{budget=\"{budget}\"}} 0", metrics);
        }

        Assert.Contains("# TYPE nestor_time_to_first_token_seconds histogram", metrics);
        Assert.Contains("# TYPE nestor_inter_token_latency_seconds histogram", metrics);
        Assert.Contains("# TYPE nestor_e2e_request_latency_seconds histogram", metrics);
        Assert.Contains("nestor_time_to_first_token_seconds_bucket{budget=\"b75\",le=\"+Inf\"}", metrics);
        Assert.Contains("# TYPE nestor_batch_size histogram", metrics);
        Assert.True(await _server.MetricAsync("nestor_forward_seconds_count", "budget=\"b75\",phase=\"prefill\"") >= 1);
        Assert.True(await _server.MetricAsync("nestor_forward_seconds_count", "budget=\"b75\",phase=\"decode\"") >= 4);
        Assert.True(await _server.MetricAsync("nestor_forward_seconds_sum", "budget=\"b75\",phase=\"decode\"") > 0);
        Assert.Contains($"digest=\"{checkpoint.Digest}\"", metrics);
        Assert.Matches("nestor_model_info\\{[^}]*model=\"tiny-elastic\"[^}]*\\} 1", metrics);
        Assert.True(await _server.MetricAsync("nestor_generation_tokens_total", "budget=\"b75\"") >= 5);
        Assert.True(await _server.MetricAsync("nestor_prompt_tokens_total", "budget=\"b75\"") >= 9);
        Assert.True(await _server.MetricAsync("nestor_requests_total", "budget=\"b75\",outcome=\"length\"") >= 1);
    }

    private async Task<HttpResponseMessage> PostStreamAsync(string path, object body)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = JsonContent.Create(body) };
        return await _server.Client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
    }

    private static void AssertError(JsonElement body, string? param, string? code)
    {
        var error = body.GetProperty("error");
        Assert.False(string.IsNullOrEmpty(error.GetProperty("message").GetString()));
        Assert.False(string.IsNullOrEmpty(error.GetProperty("type").GetString()));
        Assert.Equal(param, error.GetProperty("param").GetString());
        Assert.Equal(code, error.GetProperty("code").GetString());
    }
}
