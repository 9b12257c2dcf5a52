using Nestor.Operator.Core.Queue;

namespace Nestor.Operator.Core.Tests;

public sealed class WorkQueueTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(5);

    [Fact]
    public async Task AKeyAddedTwiceWaitsOnce()
    {
        using var queue = new WorkQueue<string>();
        queue.Add("a");
        queue.Add("b");
        queue.Add("a");
        Assert.Equal(2, queue.Count);
        Assert.Equal("a", await queue.GetAsync(CancellationToken.None));
        Assert.Equal("b", await queue.GetAsync(CancellationToken.None));
    }

    [Fact]
    public async Task AKeyAddedWhileProcessingIsHandedOutAgainOnlyAfterDone()
    {
        using var queue = new WorkQueue<string>();
        queue.Add("a");
        var first = await queue.GetAsync(CancellationToken.None);
        queue.Add("a");
        Assert.Equal(0, queue.Count); // not handed to a second worker while the first holds it

        using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(100));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => queue.GetAsync(cts.Token));

        queue.Done(first!);
        Assert.Equal(1, queue.Count);
        Assert.Equal("a", await queue.GetAsync(CancellationToken.None).WaitAsync(Wait));
    }

    [Fact]
    public async Task ManyWorkersNeverHoldTheSameKeyAtOnce()
    {
        using var queue = new WorkQueue<int>();
        var holding = new int[10];
        var violations = 0;
        var processed = 0;
        using var stop = new CancellationTokenSource();
        var workers = Enumerable.Range(0, 8).Select(_ => Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                int key;
                try
                {
                    key = await queue.GetAsync(stop.Token);
                }
                catch (OperationCanceledException)
                {
                    return;
                }

                if (Interlocked.Increment(ref holding[key]) != 1)
                {
                    Interlocked.Increment(ref violations);
                }

                await Task.Yield();
                Interlocked.Decrement(ref holding[key]);
                Interlocked.Increment(ref processed);
                queue.Done(key);
            }
        })).ToArray();

        for (var i = 0; i < 5000; i++)
        {
            queue.Add(i % 10);
            if (i % 50 == 0)
            {
                await Task.Yield();
            }
        }

        var deadline = DateTime.UtcNow + Wait;
        while ((queue.Count > 0 || holding.Any(h => h != 0)) && DateTime.UtcNow < deadline)
        {
            await Task.Delay(10);
        }

        await stop.CancelAsync();
        await Task.WhenAll(workers);
        Assert.Equal(0, violations);
        Assert.True(processed >= 10);
    }

    [Fact]
    public async Task AddAfterDelaysAndTheEarlierDelayWins()
    {
        using var queue = new WorkQueue<string>();
        queue.AddAfter("a", TimeSpan.FromSeconds(30));
        queue.AddAfter("a", TimeSpan.FromMilliseconds(50));
        Assert.Equal(0, queue.Count);
        Assert.Equal("a", await queue.GetAsync(CancellationToken.None).WaitAsync(Wait));
    }

    [Fact]
    public void PerItemBackoffDoublesFrom5MsUpTo5MinutesAndForgetResetsIt()
    {
        var limiter = new ItemExponentialRateLimiter<string>(TimeSpan.FromMilliseconds(5), TimeSpan.FromMinutes(5));
        Assert.Equal(TimeSpan.FromMilliseconds(5), limiter.When("a"));
        Assert.Equal(TimeSpan.FromMilliseconds(10), limiter.When("a"));
        Assert.Equal(TimeSpan.FromMilliseconds(20), limiter.When("a"));
        Assert.Equal(TimeSpan.FromMilliseconds(5), limiter.When("b"));
        for (var i = 0; i < 40; i++)
        {
            limiter.When("a");
        }

        Assert.Equal(TimeSpan.FromMinutes(5), limiter.When("a"));
        limiter.Forget("a");
        Assert.Equal(TimeSpan.FromMilliseconds(5), limiter.When("a"));
    }

    [Fact]
    public void TheOverallBucketDelaysRetriesBeyondItsBurst()
    {
        var bucket = new TokenBucketRateLimiter<string>(perSecond: 10, burst: 3);
        Assert.Equal(TimeSpan.Zero, bucket.When("a"));
        Assert.Equal(TimeSpan.Zero, bucket.When("b"));
        Assert.Equal(TimeSpan.Zero, bucket.When("c"));
        var fourth = bucket.When("d");
        Assert.InRange(fourth.TotalMilliseconds, 50, 101);
        var fifth = bucket.When("e");
        Assert.True(fifth > fourth);
    }

    [Fact]
    public async Task ShutDownWithDrainWaitsForRunningWorkAndStopsHandingOutKeys()
    {
        using var queue = new WorkQueue<string>();
        queue.Add("a");
        queue.Add("b");
        var held = await queue.GetAsync(CancellationToken.None);
        var drain = queue.ShutDownWithDrainAsync(CancellationToken.None);
        await Task.Delay(50);
        Assert.False(drain.IsCompleted);
        queue.Add("c");
        queue.Done(held!);
        await drain.WaitAsync(Wait);
        Assert.Null(await queue.GetAsync(CancellationToken.None).WaitAsync(Wait));
    }
}
