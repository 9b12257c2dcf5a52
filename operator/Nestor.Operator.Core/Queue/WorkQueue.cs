namespace Nestor.Operator.Core.Queue;

/// <summary>
/// A controller work queue with client-go's guarantees: a key waits at most once (dedupe), is never
/// handed to two workers at once (a key added while being processed is queued again when Done),
/// can be delayed or rate-limited, and shutting down with drain lets running work finish.
/// </summary>
public sealed class WorkQueue<TKey> : IDisposable
    where TKey : notnull
{
    private readonly Lock _lock = new();
    private readonly Queue<TKey> _ready = new();
    private readonly HashSet<TKey> _dirty = [];
    private readonly HashSet<TKey> _processing = [];
    private readonly Dictionary<TKey, long> _enqueuedAt = [];
    private readonly Dictionary<TKey, DateTimeOffset> _delayed = [];
    private readonly PriorityQueue<TKey, DateTimeOffset> _delayQueue = new();
    private readonly SemaphoreSlim _available = new(0);
    private readonly TimeProvider _time;
    private readonly IRateLimiter<TKey> _rateLimiter;
    private readonly Action<int>? _onDepth;
    private readonly Action<TimeSpan>? _onWait;
    private ITimer? _timer;
    private bool _shuttingDown;
    private TaskCompletionSource? _drained;

    public WorkQueue(IRateLimiter<TKey>? rateLimiter = null, TimeProvider? time = null, Action<int>? onDepth = null, Action<TimeSpan>? onWait = null)
    {
        _time = time ?? TimeProvider.System;
        _rateLimiter = rateLimiter ?? MaxOfRateLimiter<TKey>.Default(_time);
        _onDepth = onDepth;
        _onWait = onWait;
    }

    public int Count
    {
        get
        {
            lock (_lock)
            {
                return _ready.Count;
            }
        }
    }

    public bool ShuttingDown
    {
        get
        {
            lock (_lock)
            {
                return _shuttingDown;
            }
        }
    }

    /// <summary>Queues the key unless it already waits.</summary>
    public void Add(TKey key)
    {
        lock (_lock)
        {
            AddLocked(key);
        }
    }

    /// <summary>Queues the key after a delay; an earlier pending delay for the same key wins.</summary>
    public void AddAfter(TKey key, TimeSpan delay)
    {
        if (delay <= TimeSpan.Zero)
        {
            Add(key);
            return;
        }

        lock (_lock)
        {
            if (_shuttingDown)
            {
                return;
            }

            var due = _time.GetUtcNow() + delay;
            if (_delayed.TryGetValue(key, out var existing) && existing <= due)
            {
                return;
            }

            _delayed[key] = due;
            _delayQueue.Enqueue(key, due);
            ArmTimerLocked();
        }
    }

    /// <summary>Queues the key after its rate limiter's delay (exponential per key, bounded overall).</summary>
    public TimeSpan AddRateLimited(TKey key)
    {
        var delay = _rateLimiter.When(key);
        AddAfter(key, delay);
        return delay;
    }

    /// <summary>Resets the key's backoff (after a success).</summary>
    public void Forget(TKey key) => _rateLimiter.Forget(key);

    public int Retries(TKey key) => _rateLimiter.Retries(key);

    /// <summary>Waits for a key; returns null once the queue is shut down and empty.</summary>
    public async Task<TKey?> GetAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            await _available.WaitAsync(cancellationToken);
            lock (_lock)
            {
                if (_shuttingDown)
                {
                    return default; // keys still waiting are dropped: a stopped controller starts over from its cache
                }

                if (_ready.Count == 0)
                {
                    continue;
                }

                var key = _ready.Dequeue();
                _dirty.Remove(key);
                _processing.Add(key);
                if (_enqueuedAt.Remove(key, out var since))
                {
                    _onWait?.Invoke(_time.GetElapsedTime(since));
                }

                _onDepth?.Invoke(_ready.Count);
                return key;
            }
        }
    }

    /// <summary>Marks the key processed; if it was added meanwhile, it is queued again now.</summary>
    public void Done(TKey key)
    {
        lock (_lock)
        {
            _processing.Remove(key);
            if (_dirty.Contains(key))
            {
                EnqueueLocked(key);
            }

            if (_processing.Count == 0)
            {
                _drained?.TrySetResult();
            }
        }
    }

    /// <summary>Stops handing out keys; waiting workers get null. Keys being processed may still finish.</summary>
    public void ShutDown()
    {
        lock (_lock)
        {
            if (_shuttingDown)
            {
                return;
            }

            _shuttingDown = true;
            _timer?.Dispose();
            _timer = null;
        }

        _available.Release(int.MaxValue / 2);
    }

    /// <summary>Shuts down and waits until every key being processed is Done (or the token fires).</summary>
    public async Task ShutDownWithDrainAsync(CancellationToken cancellationToken)
    {
        Task drained;
        lock (_lock)
        {
            _drained ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            if (_processing.Count == 0)
            {
                _drained.TrySetResult();
            }

            drained = _drained.Task;
        }

        ShutDown();
        await drained.WaitAsync(cancellationToken);
    }

    public void Dispose()
    {
        ShutDown();
        _available.Dispose();
    }

    private void AddLocked(TKey key)
    {
        if (_shuttingDown || !_dirty.Add(key))
        {
            return;
        }

        if (_processing.Contains(key))
        {
            return; // Done() queues it again
        }

        EnqueueLocked(key);
    }

    private void EnqueueLocked(TKey key)
    {
        _ready.Enqueue(key);
        _enqueuedAt.TryAdd(key, _time.GetTimestamp());
        _onDepth?.Invoke(_ready.Count);
        _available.Release();
    }

    private void ArmTimerLocked()
    {
        if (!_delayQueue.TryPeek(out _, out var due))
        {
            return;
        }

        var wait = due - _time.GetUtcNow();
        if (wait < TimeSpan.Zero)
        {
            wait = TimeSpan.Zero;
        }

        _timer ??= _time.CreateTimer(_ => OnTimer(), null, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        _timer.Change(wait, Timeout.InfiniteTimeSpan);
    }

    private void OnTimer()
    {
        lock (_lock)
        {
            if (_shuttingDown)
            {
                return;
            }

            var now = _time.GetUtcNow();
            while (_delayQueue.TryPeek(out var key, out var due) && due <= now)
            {
                _delayQueue.Dequeue();
                if (_delayed.TryGetValue(key, out var current) && current == due)
                {
                    _delayed.Remove(key);
                    AddLocked(key);
                }
            }

            ArmTimerLocked();
        }
    }
}
