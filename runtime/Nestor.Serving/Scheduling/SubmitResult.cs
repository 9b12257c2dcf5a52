namespace Nestor.Serving.Scheduling;

public enum SubmitStatus
{
    Accepted,
    QueueFull,
    Draining,
    NotReady,
}

/// <summary>The scheduler's answer to a request: a sequence to read from, or why not (with a retry hint).</summary>
public sealed record SubmitResult(SubmitStatus Status, Sequence? Sequence = null, TimeSpan RetryAfter = default);
