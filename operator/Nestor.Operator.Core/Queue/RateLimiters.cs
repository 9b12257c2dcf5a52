namespace Nestor.Operator.Core.Queue;

/// <summary>Decides how long a key waits before its next retry.</summary>
public interface IRateLimiter<in TKey>
{
    TimeSpan When(TKey key);

    void Forget(TKey key);

    int Retries(TKey key);
}

/// <summary>Per-key exponential backoff: base·2^failures, capped (client-go: 5 ms to 1000 s; ours defaults to 5 min).</summary>
public sealed class ItemExponentialRateLimiter<TKey>(TimeSpan baseDelay, TimeSpan maxDelay) : IRateLimiter<TKey>
    where TKey : notnull
{
    private readonly Dictionary<TKey, int> _failures = [];
    private readonly Lock _lock = new();

    public TimeSpan When(TKey key)
    {
        lock (_lock)
        {
            _failures.TryGetValue(key, out var n);
            _failures[key] = n + 1;
            var delay = baseDelay.TotalMilliseconds * Math.Pow(2, Math.Min(n, 62));
            return delay >= maxDelay.TotalMilliseconds ? maxDelay : TimeSpan.FromMilliseconds(delay);
        }
    }

    public void Forget(TKey key)
    {
        lock (_lock)
        {
            _failures.Remove(key);
        }
    }

    public int Retries(TKey key)
    {
        lock (_lock)
        {
            return _failures.GetValueOrDefault(key);
        }
    }
}

/// <summary>An overall token bucket shared by all keys (client-go: 10 qps, burst 100): every retry takes a token.</summary>
public sealed class TokenBucketRateLimiter<TKey>(double perSecond, int burst, TimeProvider? time = null) : IRateLimiter<TKey>
    where TKey : notnull
{
    private readonly TimeProvider _time = time ?? TimeProvider.System;
    private readonly Lock _lock = new();
    private double _tokens = burst;
    private long _last = (time ?? TimeProvider.System).GetTimestamp();

    public TimeSpan When(TKey key)
    {
        lock (_lock)
        {
            var now = _time.GetTimestamp();
            _tokens = Math.Min(burst, _tokens + (_time.GetElapsedTime(_last, now).TotalSeconds * perSecond));
            _last = now;
            _tokens -= 1; // reserve a token now; a negative balance is the wait
            return _tokens >= 0 ? TimeSpan.Zero : TimeSpan.FromSeconds(-_tokens / perSecond);
        }
    }

    public void Forget(TKey key)
    {
    }

    public int Retries(TKey key) => 0;
}

/// <summary>The longest delay of several limiters: per-key backoff combined with an overall rate.</summary>
public sealed class MaxOfRateLimiter<TKey>(params IRateLimiter<TKey>[] limiters) : IRateLimiter<TKey>
    where TKey : notnull
{
    public TimeSpan When(TKey key)
    {
        var longest = TimeSpan.Zero;
        foreach (var limiter in limiters)
        {
            var delay = limiter.When(key);
            if (delay > longest)
            {
                longest = delay;
            }
        }

        return longest;
    }

    public void Forget(TKey key)
    {
        foreach (var limiter in limiters)
        {
            limiter.Forget(key);
        }
    }

    public int Retries(TKey key) => limiters.Max(l => l.Retries(key));

    public static MaxOfRateLimiter<TKey> Default(TimeProvider? time = null) => new(
        new ItemExponentialRateLimiter<TKey>(TimeSpan.FromMilliseconds(5), TimeSpan.FromMinutes(5)),
        new TokenBucketRateLimiter<TKey>(10, 100, time));
}
