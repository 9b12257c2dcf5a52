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
    private int _current;

    /// <param name="maxThreads">threads for the largest steps (at least 1).</param>
    /// <param name="workPerThread">tokens × parameters that justify one more thread (at least 1).</param>
    /// <param name="apply">sets the thread count (libtorch's set_num_threads on the engine's thread).</param>
    public StepThreads(int maxThreads, long workPerThread, Action<int> apply)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxThreads, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(workPerThread, 1);
        MaxThreads = maxThreads;
        WorkPerThread = workPerThread;
        _apply = apply;
    }

    public int MaxThreads { get; }

    public long WorkPerThread { get; }

    /// <summary>The threads the last step ran with (0 before the first).</summary>
    public int Current => _current;

    public static int For(long tokens, long parameters, int maxThreads, long workPerThread) =>
        (int)Math.Clamp(tokens * parameters / workPerThread, 1, maxThreads);

    /// <summary>Sets the thread count for a step of <paramref name="tokens"/> tokens through a budget of <paramref name="parameters"/> parameters (a call only when it changes).</summary>
    public void Before(long tokens, long parameters)
    {
        int threads = For(tokens, parameters, MaxThreads, WorkPerThread);
        if (threads != _current)
        {
            _apply(threads);
            _current = threads;
        }
    }
}
