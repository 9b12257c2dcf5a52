using Nestor.Kernels;

namespace Nestor.Serving.Engine;

/// <summary>
/// How many intra-op threads a forward pass gets: one per <see cref="WorkPerThread"/> of work, where a step's work is
/// its tokens times the budget's parameters (multiply-adds, to first order), at least one thread and at most
/// <see cref="MaxThreads"/>. Forking, joining and waiting cost the same whatever the work, so a step only gets a thread
/// more when it has enough work to split: a decode step of a small model or of a few sequences is a chain of small
/// matrix products that a second thread slows, while a prefill of many tokens is bound by its matrix products.
/// </summary>
public sealed class StepThreads
{
    /// <summary>
    /// Default work per thread: 32 M multiply-adds (about 64 MFLOP, a millisecond or two of one core). Decode steps of
    /// up to 16 tokens split their large products across threads themselves (<c>Linear</c>'s small-batch kernel); so
    /// on the 14 M-parameter bench model a batch-16 decode step runs on two threads and a batch-1 step on one.
    /// </summary>
    public const long DefaultWorkPerThread = 32L << 20;

    private readonly Action<int> _apply;
    private readonly Action<int>? _applySmallBatch;
    private readonly int _smallBatchTokens;
    private int _current, _currentLibTorch, _currentSmallBatch;

    /// <param name="maxThreads">threads for the largest steps (at least 1).</param>
    /// <param name="workPerThread">tokens × parameters that justify one more thread (at least 1).</param>
    /// <param name="apply">sets libtorch's thread count (set_num_threads on the engine's thread).</param>
    /// <param name="applySmallBatch">sets the small-batch products' thread count, or null when steps have none.</param>
    /// <param name="smallBatchTokens">steps of at most this many tokens are small-batch steps.</param>
    public StepThreads(int maxThreads, long workPerThread, Action<int> apply, Action<int>? applySmallBatch = null, int smallBatchTokens = 0)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxThreads, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(workPerThread, 1);
        MaxThreads = maxThreads;
        WorkPerThread = workPerThread;
        _apply = apply;
        _applySmallBatch = applySmallBatch;
        _smallBatchTokens = smallBatchTokens;
    }

    /// <summary>
    /// For the engine over Nestor.Kernels: a step of up to <see cref="Linear.MaxSmallBatchRows"/> tokens (a decode step)
    /// runs libtorch on one thread and splits its matrix products (<see cref="Linear"/>) over the step's threads; a
    /// longer step gives libtorch the threads. A decode step's other operations are small, and waking libtorch's OpenMP
    /// workers for them cost more than they gained: on the 14 M-parameter bench model the b50 budget's batch-16 decode
    /// step took 4.5–5.3 ms this way against 5.3–5.8 ms with libtorch on two threads.
    /// </summary>
    public static StepThreads LibTorch(int maxThreads, long workPerThread) =>
        new(maxThreads, workPerThread, TorchSharp.torch.set_num_threads, Linear.SetThreads, Linear.MaxSmallBatchRows);

    public int MaxThreads { get; }

    public long WorkPerThread { get; }

    /// <summary>The threads the last step ran with (0 before the first).</summary>
    public int Current => _current;

    public static int For(long tokens, long parameters, int maxThreads, long workPerThread) =>
        (int)Math.Clamp(tokens * parameters / workPerThread, 1, maxThreads);

    /// <summary>Sets the thread counts for a step of <paramref name="tokens"/> tokens through a budget of <paramref name="parameters"/> parameters (a call only when one changes).</summary>
    public void Before(long tokens, long parameters)
    {
        int threads = For(tokens, parameters, MaxThreads, WorkPerThread);
        bool smallBatch = _applySmallBatch is not null && tokens <= _smallBatchTokens;
        int libTorch = smallBatch ? 1 : threads;
        if (libTorch != _currentLibTorch)
        {
            _apply(libTorch);
            _currentLibTorch = libTorch;
        }

        if (_applySmallBatch is not null && threads != _currentSmallBatch)
        {
            _applySmallBatch(threads);
            _currentSmallBatch = threads;
        }

        _current = threads;
    }
}
