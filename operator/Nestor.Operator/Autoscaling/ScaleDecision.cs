namespace Nestor.Operator.Autoscaling;

/// <summary>What the autoscaler remembers between decisions for one tier.</summary>
public sealed record ScaleState(
    int Replicas,
    IReadOnlyList<(DateTimeOffset At, int Replicas)> Recommendations,
    DateTimeOffset? IdleSince,
    DateTimeOffset? LastScaleTime)
{
    public static ScaleState Initial(int replicas) => new(replicas, [], null, null);
}

/// <summary>
/// A decision: the replica count, a CamelCase reason, a human message, and the state to remember.
/// <see cref="Changed"/> is true when the replica count moves.
/// </summary>
public sealed record ScaleDecision(int Replicas, string Reason, string Message, bool Changed, ScaleState State);

public static class ScaleReasons
{
    public const string QueueAboveTarget = "QueueAboveTarget";
    public const string LatencyAboveTarget = "LatencyAboveTarget";
    public const string QueueBelowTarget = "QueueBelowTarget";
    public const string Stable = "Stable";
    public const string Stabilizing = "Stabilizing";
    public const string MetricsMissing = "MetricsMissing";
    public const string Idle = "Idle";
    public const string Activated = "Activated";
}
