using Nestor.Api.V1Alpha1;

namespace Nestor.Operator.Autoscaling;

/// <summary>BudgetTier.spec → the decision function's policy, in plain units.</summary>
public static class PolicyFromSpec
{
    public static AutoscalingPolicy For(BudgetTier tier)
    {
        var a = tier.Spec.Autoscaling ?? new AutoscalingSpec();
        return new AutoscalingPolicy
        {
            MinReplicas = tier.Spec.MinReplicas,
            MaxReplicas = Math.Max(tier.Spec.MinReplicas, tier.Spec.MaxReplicas ?? tier.Spec.MinReplicas),
            TargetQueuePerReplica = a.TargetQueueDepthPerReplica,
            TargetTtftP95 = a.TargetTtftP95Ms is { } ttft ? TimeSpan.FromMilliseconds(ttft) : null,
            TargetE2eP95 = a.TargetE2eP95Ms is { } e2e ? TimeSpan.FromMilliseconds(e2e) : null,
            ScaleUpStabilization = TimeSpan.FromSeconds(a.ScaleUpStabilizationSeconds),
            ScaleDownStabilization = TimeSpan.FromSeconds(a.ScaleDownStabilizationSeconds),
            MaxScaleUpStep = a.MaxScaleUpStep,
            MaxScaleDownStep = a.MaxScaleDownStep,
            MetricsStaleAfter = TimeSpan.FromSeconds(a.MetricsStaleAfterSeconds),
            OnMissingMetrics = a.OnMissingMetrics switch
            {
                MissingMetricsPolicy.ScaleToMin => MissingMetricsAction.ScaleToMin,
                MissingMetricsPolicy.ScaleToMax => MissingMetricsAction.ScaleToMax,
                _ => MissingMetricsAction.Hold,
            },
            AllowScaleToZero = a.AllowScaleToZero,
            IdleBeforeZero = TimeSpan.FromSeconds(a.IdleSecondsBeforeZero),
        };
    }
}
