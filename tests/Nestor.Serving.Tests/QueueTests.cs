using System.Net;
using Nestor.Testing;

namespace Nestor.Serving.Tests;

/// <summary>Full queues, client disconnects and degrade, on a server with one slot per budget.</summary>
[Collection(ServingCollection.Name)]
public sealed class QueueTests(TinyCheckpoint checkpoint) : IAsyncLifetime
{
    private TestServer _server = null!;

    public async Task InitializeAsync() => _server = await TestServer.StartAsync(new ServeOptions
    {
        Checkpoint = checkpoint.Path,
        MaxBatch = 1,
        MaxQueue = 2,
        MaxPromptTokens = 64,
        MaxTokens = 20000,
    });

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task AFullQueueIs429WithRetryAfterAndADisconnectFreesTheSlotAtOnce()
    {
        var holder = await LongRequest.StartAsync(_server.Client, "tiny-elastic");
        Assert.True(await Eventually.TrueAsync(async () => await _server.MetricAsync("nestor_requests_running", "budget=\"full\"") == 1));
        var queued = Enumerable.Range(0, 2).Select(i => _server.PostAsync("/v1/completions", new { model = "tiny-elastic", prompt = $"queued {i}", max_tokens = 3, ignore_eos = true })).ToList();
        Assert.True(await Eventually.TrueAsync(async () => await _server.MetricAsync("nestor_requests_waiting", "budget=\"full\"") == 2));

        var (rejected, error) = await _server.PostAsync("/v1/completions", new { model = "tiny-elastic@b50", prompt = "one too many", max_tokens = 3 });
        Assert.Equal(HttpStatusCode.TooManyRequests, rejected.StatusCode);
        Assert.True(int.Parse(rejected.Headers.GetValues("Retry-After").Single(), System.Globalization.CultureInfo.InvariantCulture) >= 1);
        Assert.Equal("queue_full", error.GetProperty("error").GetProperty("code").GetString());
        Assert.Equal(1, await _server.MetricAsync("nestor_requests_total", "budget=\"b50\",outcome=\"rejected_queue_full\""));

        holder.Dispose(); // the client goes away mid-stream
        foreach (var task in queued)
        {
            var (response, body) = await task.WaitAsync(TimeSpan.FromSeconds(30));
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal(3, body.GetProperty("usage").GetProperty("completion_tokens").GetInt32());
        }

        Assert.Equal(1, await _server.MetricAsync("nestor_requests_total", "budget=\"full\",outcome=\"cancelled\""));
        Assert.True(await Eventually.TrueAsync(async () => await _server.MetricAsync("nestor_requests_running", "budget=\"full\"") == 0));
    }

    [Fact]
    public async Task AQueuedRequestWhoseClientLeavesLeavesTheQueue()
    {
        using var holder = await LongRequest.StartAsync(_server.Client, "tiny-elastic");
        using (var leaving = new CancellationTokenSource())
        {
            var queued = _server.Client.PostAsync("/v1/completions",
                System.Net.Http.Json.JsonContent.Create(new { model = "tiny-elastic", prompt = "impatient", max_tokens = 3 }), leaving.Token);
            Assert.True(await Eventually.TrueAsync(async () => await _server.MetricAsync("nestor_requests_waiting", "budget=\"full\"") == 1));
            await leaving.CancelAsync();
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => queued);
        }

        Assert.True(await Eventually.TrueAsync(async () => await _server.MetricAsync("nestor_requests_waiting", "budget=\"full\"") == 0));
        Assert.True(await Eventually.TrueAsync(async () => await _server.MetricAsync("nestor_requests_running", "budget=\"full\"") == 1));
    }

    [Fact]
    public async Task ABudgetWithRoomIsServedWhileAnotherBudgetIsFullAndQueued()
    {
        using var holder = await LongRequest.StartAsync(_server.Client, "tiny-elastic");
        var queued = _server.PostAsync("/v1/completions", new { model = "tiny-elastic", prompt = "behind the holder", max_tokens = 2 });
        Assert.True(await Eventually.TrueAsync(async () => await _server.MetricAsync("nestor_requests_waiting", "budget=\"full\"") == 1));
        var (response, body) = await _server.PostAsync("/v1/completions", new { model = "tiny-elastic@b50", prompt = "other budget", max_tokens = 4, ignore_eos = true });
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(4, body.GetProperty("usage").GetProperty("completion_tokens").GetInt32());
        Assert.False(queued.IsCompleted, "the full budget's queued request waits for its own slot");
        holder.Dispose();
        Assert.Equal(HttpStatusCode.OK, (await queued.WaitAsync(TimeSpan.FromSeconds(30))).Response.StatusCode);
    }

    [Fact]
    public async Task DegradeServesTheNextSmallerBudgetOnlyWhenAskedAndTheWaitPassesTheBound()
    {
        var holder = await LongRequest.StartAsync(_server.Client, "tiny-elastic");

        using var viaHeader = new HttpRequestMessage(HttpMethod.Post, "/v1/completions")
        {
            Content = System.Net.Http.Json.JsonContent.Create(new { model = "tiny-elastic", prompt = "hurry", max_tokens = 3, ignore_eos = true }),
        };
        viaHeader.Headers.Add("x-nestor-degrade", "allow");
        viaHeader.Headers.Add("x-nestor-max-wait-ms", "0");
        using var degraded = await _server.Client.SendAsync(viaHeader);
        Assert.Equal(HttpStatusCode.OK, degraded.StatusCode);
        Assert.Equal("b75", degraded.Headers.GetValues("x-nestor-served-budget").Single());
        using (var doc = System.Text.Json.JsonDocument.Parse(await degraded.Content.ReadAsStringAsync()))
        {
            Assert.True(doc.RootElement.GetProperty("degraded").GetBoolean());
            Assert.Equal("b75", doc.RootElement.GetProperty("served_budget").GetString());
            Assert.Equal("tiny-elastic@b75", doc.RootElement.GetProperty("model").GetString());
        }

        // Opted in through the body, with a bound the wait does not pass: stays on full. Not opted in: stays on full.
        var patient = _server.PostAsync("/v1/completions", new { model = "tiny-elastic", prompt = "patient", max_tokens = 3, ignore_eos = true, degrade = true, max_wait_ms = 3_600_000 });
        var plain = _server.PostAsync("/v1/completions", new { model = "tiny-elastic", prompt = "plain", max_tokens = 3, ignore_eos = true });
        Assert.True(await Eventually.TrueAsync(async () => await _server.MetricAsync("nestor_requests_waiting", "budget=\"full\"") == 2));
        holder.Dispose();
        foreach (var (response, body) in new[] { await patient, await plain })
        {
            Assert.Equal("full", response.Headers.GetValues("x-nestor-served-budget").Single());
            Assert.False(body.GetProperty("degraded").GetBoolean());
        }

        Assert.Equal(1, await _server.MetricAsync("nestor_requests_total", "budget=\"b75\",outcome=\"degraded\""));
    }
}
