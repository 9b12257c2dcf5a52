using System.Net;

namespace Nestor.Serving.Tests;

/// <summary>Continuous batching: concurrent requests share forward passes, and requests join a batch already running.</summary>
[Collection(ServingCollection.Name)]
public sealed class BatchingTests(TinyCheckpoint checkpoint)
{
    [Fact]
    public async Task ConcurrentRequestsShareForwardPassesAndJoinARunningBatch()
    {
        await using var server = await TestServer.StartAsync(new ServeOptions { Checkpoint = checkpoint.Path, MaxBatch = 8, MaxTokens = 20000, MaxPromptTokens = 64 });
        using var holder = await LongRequest.StartAsync(server.Client, "tiny-elastic@b50");
        // These join the batch the holder is running in (it never finishes on its own).
        var requests = Enumerable.Range(0, 6).Select(i => server.PostAsync("/v1/completions",
            new { model = "tiny-elastic@b50", prompt = $"request {i}", max_tokens = 40, ignore_eos = true, seed = i })).ToList();
        foreach (var (response, body) in await Task.WhenAll(requests))
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal(40, body.GetProperty("usage").GetProperty("completion_tokens").GetInt32());
        }

        // Passes that stepped more than 4 sequences at once: only possible when requests share forward passes. (The holder
        // also runs passes of its own before and after, so the totals alone prove little.)
        var passes = await server.MetricAsync("nestor_batch_size_count", "budget=\"b50\"");
        var small = await server.MetricAsync("nestor_batch_size_bucket", "budget=\"b50\",le=\"4\"");
        Assert.True(passes - small >= 10, $"{passes - small} of {passes} forward passes stepped more than 4 sequences");
    }

    [Fact]
    public async Task ABudgetLoadedAloneGivesTheSameTokensAsTheSameBudgetServedWithAllOthers()
    {
        await using var alone = await TestServer.StartAsync(new ServeOptions { Checkpoint = checkpoint.Path, LoadOnly = "b50", MaxTokens = 32, MaxPromptTokens = 64 });
        using var models = System.Text.Json.JsonDocument.Parse(await alone.Client.GetStringAsync("/v1/models"));
        Assert.Equal("tiny-elastic@b50", Assert.Single(models.RootElement.GetProperty("data").EnumerateArray()).GetProperty("id").GetString());
        var request = new { model = "tiny-elastic@b50", prompt = "same weights", max_tokens = 16, temperature = 0, ignore_eos = true };
        var (_, fromAlone) = await alone.PostAsync("/v1/completions", request);
        var (_, fromAll) = await checkpoint.Shared.PostAsync("/v1/completions", request);
        Assert.Equal(fromAll.GetProperty("choices")[0].GetProperty("text").GetString(), fromAlone.GetProperty("choices")[0].GetProperty("text").GetString());
        var (wrong, error) = await alone.PostAsync("/v1/completions", new { model = "tiny-elastic", budget = "full", prompt = "x" });
        Assert.Equal(HttpStatusCode.NotFound, wrong.StatusCode);
        Assert.Contains("not served", error.GetProperty("error").GetProperty("message").GetString());
        // The bare name means this server's default budget.
        var (bare, body) = await alone.PostAsync("/v1/completions", new { model = "tiny-elastic", prompt = "x", max_tokens = 2 });
        Assert.Equal(HttpStatusCode.OK, bare.StatusCode);
        Assert.Equal("b50", body.GetProperty("served_budget").GetString());
    }

    [Fact]
    public async Task ASubsetOfBudgetsIsServedAndBadOptionsAreRefused()
    {
        await using var server = await TestServer.StartAsync(new ServeOptions { Checkpoint = checkpoint.Path, Budgets = ["b50", "full"], DefaultBudget = "b50", MaxTokens = 8, MaxPromptTokens = 64 });
        using var models = System.Text.Json.JsonDocument.Parse(await server.Client.GetStringAsync("/v1/models"));
        Assert.Equal(["tiny-elastic", "tiny-elastic@b50"], models.RootElement.GetProperty("data").EnumerateArray().Select(m => m.GetProperty("id").GetString()));
        var (_, body) = await server.PostAsync("/v1/completions", new { model = "tiny-elastic", prompt = "x", max_tokens = 2 });
        Assert.Equal("b50", body.GetProperty("served_budget").GetString());
        var (notServed, _) = await server.PostAsync("/v1/completions", new { model = "tiny-elastic@b75", prompt = "x" });
        Assert.Equal(HttpStatusCode.NotFound, notServed.StatusCode);

        foreach (var bad in new[]
        {
            new ServeOptions { Checkpoint = checkpoint.Path, Budgets = ["b10"] },
            new ServeOptions { Checkpoint = checkpoint.Path, LoadOnly = "b50", Budgets = ["full"] },
            new ServeOptions { Checkpoint = checkpoint.Path, Budgets = ["b50"], DefaultBudget = "full" },
            new ServeOptions { Checkpoint = checkpoint.Path + "-missing" },
            new ServeOptions { Checkpoint = checkpoint.Path, Host = "not-an-ip" },
        })
        {
            Assert.Throws<Hosting.ServeConfigurationException>(() => Hosting.ServingHost.Create(bad));
        }
    }
}
