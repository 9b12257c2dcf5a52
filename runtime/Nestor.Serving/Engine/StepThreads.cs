namespace Nestor.Serving.Engine;

/// <summary>
/// How many intra-op threads a forward pass gets: one per <see cref="TokensPerThread"/> tokens in the step, at least one
/// and at most <see cref="MaxThreads"/>. A decode step of a few sequences is a chain of small matrix-vector products
/// that a second thread only slows (fork, join and spin-waiting cost more than the work saved), while a full batch or
/// a prefill is bound by its matrix products and scales with cores; so small steps stay on one thread.
/// </summary>
public sealed class StepThreads
{
    private readonly Action<int> _apply;
    private int _current;

    /// <param name="maxThreads">threads for the largest steps (at least 1).</param>
    /// <param name="tokensPerThread">tokens of work that justify one more thread (at least 1).</param>
    /// <param name="apply">sets the thread count (libtorch's set_num_threads on the engine's thread).</param>
    public StepThreads(int maxThreads, int tokensPerThread, Action<int> apply)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxThreads, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(tokensPerThread, 1);
        MaxThreads = maxThreads;
        TokensPerThread = tokensPerThread;
        _apply = apply;
    }

    public int MaxThreads { get; }

    public int TokensPerThread { get; }

    /// <summary>The threads the last step ran with (0 before the first).</summary>
    public int Current => _current;

    public static int For(int tokens, int maxThreads, int tokensPerThread) => Math.Clamp(tokens / tokensPerThread, 1, maxThreads);

    /// <summary>Sets the thread count for a step of <paramref name="tokens"/> tokens (a call only when it changes).</summary>
    public void Before(int tokens)
    {
        int threads = For(tokens, MaxThreads, TokensPerThread);
        if (threads != _current)
        {
            _apply(threads);
            _current = threads;
        }
    }
}
