using Nestor.Serving.Bench;

namespace Nestor.Serving.Tests;

/// <summary>`nestor bench serve`'s load generator against a real server: closed and open loop, a budget mix.</summary>
[Collection(ServingCollection.Name)]
public sealed class LoadGeneratorTests(TinyCheckpoint checkpoint)
{
    [Fact]
    public async Task ClosedAndOpenLoopReportEveryRequestAndTokenPerBudget()
    {
        var generator = new LoadGenerator(checkpoint.Shared.Client);
        var closed = await generator.RunAsync(new LoadOptions
        {
            Url = checkpoint.Shared.Client.BaseAddress!,
            Concurrency = 3,
            Requests = 9,
            PromptTokens = (4, 12),
            OutputTokens = (5, 5),
            Budgets = [("full", 1), ("b50", 2)],
        });
        Assert.Equal(9, closed.All.Requests);
        Assert.Equal(0, closed.All.Errors);
        Assert.Equal(45, closed.All.OutputTokens);
        Assert.Equal(["b50", "full"], closed.Budgets.Select(b => b.Budget));
        Assert.Equal(9, closed.Budgets.Sum(b => b.Requests));
        Assert.All(closed.Budgets, b => Assert.True(b.TtftMs.P50 > 0 && b.TtftMs.P50 <= b.TtftMs.P99 && b.EndToEndMs.P99 >= b.TtftMs.P99));
        Assert.True(closed.All.InterTokenMs.P50 > 0);
        Assert.Contains("closed loop c=3", LoadGenerator.Table(closed));

        var open = await generator.RunAsync(new LoadOptions
        {
            Url = checkpoint.Shared.Client.BaseAddress!,
            Rate = 20,
            Requests = 6,
            PromptTokens = (8, 8),
            OutputTokens = (2, 4),
        });
        Assert.Equal(6, open.All.Requests);
        Assert.Equal(0, open.All.Errors);
        Assert.InRange(open.All.OutputTokens, 12, 24);
        Assert.StartsWith("open loop", open.Mode);
    }

    [Fact]
    public void PercentilesAreNearestRank()
    {
        var p = Percentiles.Of([.. Enumerable.Range(1, 100).Select(i => (double)i)]);
        Assert.Equal(new Percentiles(50, 95, 99), p);
        Assert.True(double.IsNaN(Percentiles.Of([]).P50));
    }
}
