using System.Diagnostics;
using System.Net;

namespace Nestor.Quickstart;

/// <summary>A closed-loop burst: N clients each sending completions back to back until stopped.</summary>
public sealed class LoadBurst(TierClient client, string model, int concurrency, int maxTokens)
{
    private long _completed;
    private long _rejected;
    private long _failed;
    private readonly List<double> _latencies = [];

    public long Completed => Interlocked.Read(ref _completed);

    public long Rejected => Interlocked.Read(ref _rejected);

    public long Failed => Interlocked.Read(ref _failed);

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        var workers = Enumerable.Range(0, concurrency).Select(i => WorkerAsync(i, cancellationToken));
        await Task.WhenAll(workers);
    }

    /// <summary>The p95 end-to-end latency of the completed requests, in milliseconds.</summary>
    public double? P95Ms()
    {
        lock (_latencies)
        {
            if (_latencies.Count == 0)
            {
                return null;
            }

            var sorted = _latencies.Order().ToList();
            return Math.Round(sorted[(int)Math.Min(sorted.Count - 1, Math.Ceiling(sorted.Count * 0.95) - 1)], 1);
        }
    }

    private async Task WorkerAsync(int index, CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            var start = Stopwatch.GetTimestamp();
            try
            {
                await client.CompleteAsync(model, $"a={index + 2};b=a+5;c=b-3;c?", maxTokens, cancellationToken);
                Interlocked.Increment(ref _completed);
                lock (_latencies)
                {
                    _latencies.Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
                }
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
            catch (HttpRequestException e) when (e.StatusCode is HttpStatusCode.TooManyRequests or HttpStatusCode.ServiceUnavailable)
            {
                Interlocked.Increment(ref _rejected);
                await Pause(cancellationToken);
            }
            catch (Exception e) when (e is HttpRequestException or InvalidDataException or IOException)
            {
                Interlocked.Increment(ref _failed);
                await Pause(cancellationToken);
            }
        }
    }

    private static async Task Pause(CancellationToken cancellationToken)
    {
        try
        {
            await Task.Delay(200, cancellationToken);
        }
        catch (OperationCanceledException)
        {
        }
    }
}
