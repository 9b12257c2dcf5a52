namespace Nestor.Operator.Autoscaling;

public enum MissingMetricsAction
{
    Hold,
    ScaleToMin,
    ScaleToMax,
}

/// <summary>The autoscaler's settings for one tier, in plain units (from BudgetTier.spec).</summary>
public sealed record AutoscalingPolicy
{
    public int MinReplicas { get; init; } = 1;

    public int MaxReplicas { get; init; } = 1;

    public double TargetQueuePerReplica { get; init; } = 8;

    public TimeSpan? TargetTtftP95 { get; init; }

    public TimeSpan? TargetE2eP95 { get; init; }

    public TimeSpan ScaleUpStabilization { get; init; } = TimeSpan.Zero;

    public TimeSpan ScaleDownStabilization { get; init; } = TimeSpan.FromMinutes(5);

    public int MaxScaleUpStep { get; init; } = 4;

    public int MaxScaleDownStep { get; init; } = 1;

    public TimeSpan MetricsStaleAfter { get; init; } = TimeSpan.FromSeconds(15);

    public MissingMetricsAction OnMissingMetrics { get; init; } = MissingMetricsAction.Hold;

    public bool AllowScaleToZero { get; init; }

    public TimeSpan IdleBeforeZero { get; init; } = TimeSpan.FromMinutes(10);
}
