namespace Nestor.Serving;

/// <summary>The settings of <c>nestor serve</c>.</summary>
public sealed record ServeOptions
{
    /// <summary>The checkpoint folder (read only; never written).</summary>
    public required string Checkpoint { get; init; }

    /// <summary>Budgets to serve; empty: every budget of the manifest (or the one of <see cref="LoadOnly"/>).</summary>
    public IReadOnlyList<string> Budgets { get; init; } = [];

    /// <summary>The budget of requests that name none; null: the largest served.</summary>
    public string? DefaultBudget { get; init; }

    /// <summary>Materialise only this budget's slice of the weights.</summary>
    public string? LoadOnly { get; init; }

    /// <summary>Sequences per budget in the running batch (and cache slots per budget).</summary>
    public int MaxBatch { get; init; } = 16;

    /// <summary>Requests waiting (all budgets together) before new ones get 429.</summary>
    public int MaxQueue { get; init; } = 256;

    public int MaxPromptTokens { get; init; } = 1024;

    /// <summary>Prompt tokens prefilled per budget per step (longer prompts are prefilled in chunks over several steps,
    /// while the running sequences go on decoding); 0: every joined prompt in one pass.</summary>
    public int MaxPrefillTokens { get; init; }

    /// <summary>The largest max_tokens a request may ask for (and the default when it asks for none).</summary>
    public int MaxTokens { get; init; } = 256;

    public string Host { get; init; } = "127.0.0.1";

    /// <summary>0 picks a free port (tests).</summary>
    public int Port { get; init; } = 8000;

    /// <summary>How long SIGTERM waits for in-flight requests before stopping anyway.</summary>
    public TimeSpan DrainTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Default bound on the estimated wait before a request that allows it is degraded.</summary>
    public TimeSpan DegradeWait { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>Largest request body accepted (413 beyond).</summary>
    public long MaxBodyBytes { get; init; } = 1 << 20;

    /// <summary>Intra-op threads for the largest steps; 0: the processors this process may use (container CPU limits included).</summary>
    public int Threads { get; init; }

    /// <summary>Work (tokens × the budget's parameters) per intra-op thread: smaller steps run on fewer threads (see <see cref="Engine.StepThreads"/>).</summary>
    public long WorkPerThread { get; init; } = Engine.StepThreads.DefaultWorkPerThread;
}
