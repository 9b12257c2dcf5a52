using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Nestor.Serving.Engine;

namespace Nestor.Serving.Scheduling;

/// <summary>
/// Iteration-level continuous batching over an <see cref="IModelEngine"/>. One engine thread runs steps; in each step,
/// for every budget with work (taking turns which budget goes first), waiting requests join the budget's running batch
/// up to <c>maxBatch</c> (FIFO), up to <c>maxPrefillTokens</c> prompt tokens of the joined sequences are prefilled in
/// one pass (longer prompts continue in the next steps: chunked prefill), and the sequences past their prompt advance
/// one token in one decode pass. Sequences leave the batch the step they finish or are cancelled, freeing their slot
/// for the next step. Each budget has its own queue and its own <c>maxBatch</c> slots, so no budget waits behind
/// another.
/// </summary>
public sealed class Scheduler : IDisposable
{
    private readonly Func<IModelEngine> _engineFactory;
    private readonly ITokenizer _tokenizer;
    private readonly ServingMetrics _metrics;
    private readonly ILogger _logger;
    private readonly int _maxBatch, _maxQueue, _maxPrefillTokens;
    private readonly Lock _gate = new();
    private readonly SemaphoreSlim _signal = new(0);
    private readonly Dictionary<string, Queue<Sequence>> _waiting = [];
    private readonly Dictionary<string, List<Sequence>> _running = [];
    private readonly Dictionary<string, int> _runningCount = [];
    private readonly Dictionary<string, double> _serviceSeconds = [];
    private readonly TaskCompletionSource _loaded = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _stopped = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Thread _thread;
    private IModelEngine? _engine;
    private IReadOnlyList<string> _budgets = [];
    private volatile bool _ready, _draining, _stopping;
    private int _turn;

    /// <param name="maxPrefillTokens">prompt tokens prefilled per budget per step; 0: every joined prompt at once.</param>
    public Scheduler(Func<IModelEngine> engineFactory, ITokenizer tokenizer, int maxBatch, int maxQueue, ServingMetrics metrics, ILogger logger, int maxPrefillTokens = 0)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(maxPrefillTokens);
        _maxPrefillTokens = maxPrefillTokens;
        _engineFactory = engineFactory;
        _tokenizer = tokenizer;
        _maxBatch = maxBatch;
        _maxQueue = maxQueue;
        _metrics = metrics;
        _logger = logger;
        _thread = new Thread(Run) { Name = "nestor-engine", IsBackground = true };
    }

    /// <summary>Loaded and warmed up, and not draining.</summary>
    public bool IsReady => _ready && !_draining;

    public bool IsDraining => _draining;

    /// <summary>Completes when the engine is loaded and warmed up (faults when loading failed).</summary>
    public Task Loaded => _loaded.Task;

    /// <summary>The budgets served, largest first (known once loaded).</summary>
    public IReadOnlyList<string> Budgets => _budgets;

    public int MaxSequenceLength { get; private set; }

    public void Start() => _thread.Start();

    /// <summary>Queues a request, or says why not. The budget must be one of <see cref="Budgets"/>.</summary>
    public SubmitResult Submit(GenerationRequest request)
    {
        lock (_gate)
        {
            if (_draining || _stopping)
            {
                return new SubmitResult(SubmitStatus.Draining, RetryAfter: TimeSpan.FromSeconds(1));
            }

            if (!_ready)
            {
                return new SubmitResult(SubmitStatus.NotReady, RetryAfter: TimeSpan.FromSeconds(1));
            }

            var budget = request.Budget;
            if (request.AllowDegrade && EstimatedWait(budget) > request.MaxWait)
            {
                // The next smaller budget whose wait is within the bound; none: stay.
                foreach (var smaller in _budgets.SkipWhile(b => b != budget).Skip(1))
                {
                    if (EstimatedWait(smaller) <= request.MaxWait)
                    {
                        budget = smaller;
                        break;
                    }
                }
            }

            int waiting = _waiting.Values.Sum(q => q.Count);
            if (waiting >= _maxQueue)
            {
                var wait = EstimatedWait(budget);
                return new SubmitResult(SubmitStatus.QueueFull, RetryAfter: wait < TimeSpan.FromSeconds(1) ? TimeSpan.FromSeconds(1) : wait);
            }

            var sequence = new Sequence(request, budget, _tokenizer, Wake);
            _waiting[budget].Enqueue(sequence);
            _metrics.Waiting.WithLabels(budget).Set(_waiting[budget].Count);
            Wake();
            return new SubmitResult(SubmitStatus.Accepted, sequence);
        }
    }

    /// <summary>Stops taking requests (not ready from now on); queued and running ones still finish.</summary>
    public void BeginDrain()
    {
        lock (_gate)
        {
            _draining = true;
        }

        _metrics.Ready.Set(0);
    }

    /// <summary>Waits until no request is queued or running, or the timeout passes; true when idle.</summary>
    public async Task<bool> WaitIdleAsync(TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        var deadline = Stopwatch.GetTimestamp() + (long)(timeout.TotalSeconds * Stopwatch.Frequency);
        while (true)
        {
            lock (_gate)
            {
                if (_waiting.Values.All(q => q.Count == 0) && _runningCount.Values.All(c => c == 0))
                {
                    return true;
                }
            }

            if (Stopwatch.GetTimestamp() > deadline)
            {
                return false;
            }

            await Task.Delay(20, cancellationToken);
        }
    }

    /// <summary>Requests queued or running, per budget.</summary>
    public (int Waiting, int Running) Load(string budget)
    {
        lock (_gate)
        {
            return (_waiting.TryGetValue(budget, out var q) ? q.Count : 0, _runningCount.GetValueOrDefault(budget));
        }
    }

    /// <summary>
    /// How long a request for <paramref name="budget"/> would wait for a slot: zero while the budget has a free slot
    /// beyond those already queued; otherwise the number of batch turnovers ahead times the budget's recent service time.
    /// </summary>
    private TimeSpan EstimatedWait(string budget)
    {
        int free = _maxBatch - _runningCount[budget] - _waiting[budget].Count;
        if (free > 0)
        {
            return TimeSpan.Zero;
        }

        int turnovers = 1 + ((-free) / _maxBatch);
        return TimeSpan.FromSeconds(turnovers * _serviceSeconds[budget]);
    }

    private void Wake()
    {
        try
        {
            _signal.Release();
        }
        catch (ObjectDisposedException)
        {
            // A client that goes away after the server stopped: nothing left to wake.
        }
    }

    private void Run()
    {
        try
        {
            _engine = _engineFactory();
            _budgets = _engine.Budgets;
            MaxSequenceLength = _engine.MaxSequenceLength;
            lock (_gate)
            {
                foreach (var b in _budgets)
                {
                    _waiting[b] = new Queue<Sequence>();
                    _running[b] = [];
                    _runningCount[b] = 0;
                    _serviceSeconds[b] = WarmUp(_engine, b);
                    _metrics.Waiting.WithLabels(b).Set(0);
                    _metrics.Running.WithLabels(b).Set(0);
                }

                _ready = true;
            }

            _metrics.Ready.Set(_draining ? 0 : 1);
            _loaded.TrySetResult();
        }
        catch (Exception e)
        {
            _logger.LogError(e, "loading the model failed");
            _loaded.TrySetException(e);
            _stopped.TrySetResult();
            return;
        }

        try
        {
            bool idled = false;
            while (!_stopping)
            {
                if (!_signal.Wait(TimeSpan.FromMilliseconds(200)) && !idled)
                {
                    _engine.Idle(); // once per idle spell, after 200 ms without work
                    idled = true;
                }

                while (!_stopping && Step())
                {
                    idled = false;
                }
            }
        }
        finally
        {
            lock (_gate)
            {
                foreach (var s in _waiting.Values.SelectMany(q => q).Concat(_running.Values.SelectMany(r => r)))
                {
                    s.Finish(FinishReasons.Cancelled);
                }
            }

            _engine.Dispose();
            _stopped.TrySetResult();
        }
    }

    /// <summary>One prefill and one decode step per budget; returns an estimate of a request's service time in seconds.</summary>
    private double WarmUp(IModelEngine engine, string budget)
    {
        int slot = engine.AllocateSlot(budget);
        try
        {
            var watch = Stopwatch.StartNew();
            engine.Prefill(budget, [slot], [[1, 2, 3, 4]]);
            engine.Decode(budget, [slot], [5]);
            _logger.LogInformation("warm-up of budget {Budget}: {Ms:F1} ms", budget, watch.Elapsed.TotalMilliseconds);
            return watch.Elapsed.TotalSeconds * 16;
        }
        finally
        {
            engine.ReleaseSlot(slot);
        }
    }

    /// <summary>Runs one iteration; false when there was nothing to do.</summary>
    private bool Step()
    {
        var engine = _engine!;
        var joined = new Dictionary<string, List<Sequence>>();
        var cancelledWaiting = new List<Sequence>();
        lock (_gate)
        {
            foreach (var b in _budgets)
            {
                var queue = _waiting[b];
                var join = new List<Sequence>();
                while (queue.Count > 0 && _running[b].Count + join.Count < _maxBatch)
                {
                    var s = queue.Dequeue();
                    if (s.IsCancelled)
                    {
                        cancelledWaiting.Add(s);
                    }
                    else
                    {
                        join.Add(s);
                    }
                }

                // Cancelled requests deeper in the queue leave it now too.
                if (queue.Any(s => s.IsCancelled))
                {
                    cancelledWaiting.AddRange(queue.Where(s => s.IsCancelled));
                    _waiting[b] = queue = new Queue<Sequence>(queue.Where(s => !s.IsCancelled));
                }

                joined[b] = join;
                _runningCount[b] = _running[b].Count + join.Count;
                _metrics.Waiting.WithLabels(b).Set(_waiting[b].Count);
                _metrics.Running.WithLabels(b).Set(_runningCount[b]);
            }
        }

        foreach (var s in cancelledWaiting)
        {
            Complete(s, FinishReasons.Cancelled);
        }

        bool worked = cancelledWaiting.Count > 0;
        int start = _turn++ % _budgets.Count;
        for (int i = 0; i < _budgets.Count; i++)
        {
            var budget = _budgets[(start + i) % _budgets.Count];
            worked |= StepBudget(engine, budget, joined[budget]);
        }

        lock (_gate)
        {
            foreach (var b in _budgets)
            {
                _runningCount[b] = _running[b].Count;
                _metrics.Waiting.WithLabels(b).Set(_waiting[b].Count);
                _metrics.Running.WithLabels(b).Set(_running[b].Count);
            }
        }

        return worked;
    }

    private bool StepBudget(IModelEngine engine, string budget, List<Sequence> joined)
    {
        var running = _running[budget];
        foreach (var s in running.Where(s => s.IsCancelled).ToList())
        {
            Leave(engine, running, s, FinishReasons.Cancelled);
        }

        // Sequences past their prompt decode; the others (joined now or earlier) get the next chunk of their prompt.
        var decoding = running.Where(s => s.Prefilled == s.Request.Prompt.Count).OrderBy(s => s.Slot).ToList();
        foreach (var s in joined)
        {
            s.Slot = engine.AllocateSlot(budget);
            running.Add(s);
        }

        var prefilling = new List<Sequence>();
        var chunks = new List<IReadOnlyList<long>>();
        int room = _maxPrefillTokens > 0 ? _maxPrefillTokens : int.MaxValue;
        foreach (var s in running.Where(s => s.Prefilled < s.Request.Prompt.Count).OrderBy(s => s.Arrival))
        {
            if (room == 0)
            {
                break;
            }

            int take = Math.Min(room, s.Request.Prompt.Count - s.Prefilled);
            chunks.Add(s.Prefilled == 0 && take == s.Request.Prompt.Count ? s.Request.Prompt : [.. s.Request.Prompt.Skip(s.Prefilled).Take(take)]);
            prefilling.Add(s);
            room -= take;
        }

        if (prefilling.Count > 0)
        {
            Forward(engine, budget, "prefill", running, prefilling, () =>
            {
                var logits = engine.Prefill(budget, [.. prefilling.Select(s => s.Slot)], chunks);
                for (int i = 0; i < prefilling.Count; i++)
                {
                    prefilling[i].Prefilled += chunks[i].Count;
                }

                return logits;
            });
            _metrics.PromptTokens.WithLabels(budget).Inc(chunks.Sum(c => c.Count));
        }

        if (decoding.Count > 0)
        {
            Forward(engine, budget, "decode", running, decoding, () => engine.Decode(budget, [.. decoding.Select(s => s.Slot)], [.. decoding.Select(s => s.LastToken)]));
        }

        return prefilling.Count > 0 || decoding.Count > 0;
    }

    /// <summary>
    /// One forward pass over <paramref name="batch"/>, then a token for each sequence whose prompt is complete (a sequence
    /// part way through a chunked prompt has nothing to sample yet); finished sequences leave.
    /// </summary>
    private void Forward(IModelEngine engine, string budget, string phase, List<Sequence> running, List<Sequence> batch, Func<float[][]> pass)
    {
        float[][] logits;
        long started = Stopwatch.GetTimestamp();
        try
        {
            logits = pass();
            _metrics.ForwardSeconds.WithLabels(budget, phase).Observe(Stopwatch.GetElapsedTime(started).TotalSeconds);
        }
        catch (Exception e)
        {
            _logger.LogError(e, "forward pass of budget {Budget} over {Count} sequences failed", budget, batch.Count);
            foreach (var s in batch)
            {
                Leave(engine, running, s, FinishReasons.Error);
            }

            return;
        }

        _metrics.BatchSize.WithLabels(budget).Observe(batch.Count);
        long now = Stopwatch.GetTimestamp();
        for (int i = 0; i < batch.Count; i++)
        {
            var s = batch[i];
            if (s.Prefilled < s.Request.Prompt.Count)
            {
                continue;
            }

            var token = s.Sampler.Next(logits[i]);
            if (s.Generated == 0)
            {
                s.FirstTokenAt = now;
                _metrics.TimeToFirstToken.WithLabels(budget).Observe(Stopwatch.GetElapsedTime(s.Arrival, now).TotalSeconds);
            }
            else
            {
                _metrics.InterTokenLatency.WithLabels(budget).Observe(Stopwatch.GetElapsedTime(s.LastTokenAt, now).TotalSeconds);
            }

            s.LastTokenAt = now;
            _metrics.GenerationTokens.WithLabels(budget).Inc();
            if (s.Accept(token, engine.MaxSequenceLength) is { } reason)
            {
                Leave(engine, running, s, reason);
            }
        }
    }

    private void Leave(IModelEngine engine, List<Sequence> running, Sequence s, string reason)
    {
        running.Remove(s);
        if (s.Slot >= 0)
        {
            int freed = s.Slot;
            engine.ReleaseSlot(freed);
            s.Slot = -1;

            // The budget's sequence in its highest slot takes the freed one, so that a step's slots stay one range
            // (read in place) instead of a set to gather and scatter every step.
            var last = running.Where(r => r.Slot > freed).MaxBy(r => r.Slot);
            if (last is not null && engine.MoveSlot(last.Slot, freed))
            {
                last.Slot = freed;
            }
        }

        if (reason is FinishReasons.Stop or FinishReasons.Length && s.Generated > 0)
        {
            var service = Stopwatch.GetElapsedTime(s.FirstTokenAt, s.LastTokenAt).TotalSeconds;
            lock (_gate)
            {
                _serviceSeconds[s.Budget] = (0.8 * _serviceSeconds[s.Budget]) + (0.2 * service);
            }
        }

        Complete(s, reason);
    }

    private void Complete(Sequence s, string reason)
    {
        _metrics.EndToEndLatency.WithLabels(s.Budget).Observe(Stopwatch.GetElapsedTime(s.Arrival).TotalSeconds);
        _metrics.Requests.WithLabels(s.Budget, reason).Inc();
        if (s.Degraded)
        {
            _metrics.Requests.WithLabels(s.Budget, "degraded").Inc();
        }

        s.Finish(reason);
    }

    /// <summary>Stops the engine thread (running sequences end as cancelled) and frees the model.</summary>
    public async Task StopAsync()
    {
        _stopping = true;
        Wake();
        if (_thread.IsAlive)
        {
            await _stopped.Task;
        }
    }

    public void Dispose()
    {
        _stopping = true;
        Wake();
        if (_thread.IsAlive)
        {
            _thread.Join(TimeSpan.FromSeconds(10));
        }

        _signal.Dispose();
    }
}
