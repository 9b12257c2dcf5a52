using k8s.Models;
using Nestor.Api;
using Nestor.Api.V1Alpha1;
using Nestor.Operator.Core.Helpers;

namespace Nestor.Operator.Controllers.BudgetTiers;

/// <summary>A tier's status from its Deployment: counts and the Ready, Scaling and Degraded conditions.</summary>
public static class TierStatus
{
    public static void FromDeployment(BudgetTierStatus status, V1Deployment? deployment, int desired)
    {
        status.Replicas = deployment?.Status?.Replicas ?? 0;
        status.ReadyReplicas = deployment?.Status?.ReadyReplicas ?? 0;
        status.UpdatedReplicas = deployment?.Status?.UpdatedReplicas ?? 0;
    }

    public static void SetServingConditions(BudgetTier tier, BudgetTierStatus status, V1Deployment deployment, int desired, string digest, long? generation, DateTime now)
    {
        var conditions = status.Conditions!;
        var ready = status.ReadyReplicas ?? 0;
        var updated = status.UpdatedReplicas ?? 0;
        var replicas = status.Replicas ?? 0;
        var observed = deployment.Status?.ObservedGeneration is { } g && g >= (deployment.Metadata.Generation ?? 0);
        var digestShort = digest.Replace("sha256:", "", StringComparison.Ordinal)[..Math.Min(12, Math.Max(0, digest.Length - 7))];
        var rolledOut = observed && updated >= Math.Min(desired, Math.Max(replicas, 1)) && replicas <= Math.Max(desired, updated);

        if (desired == 0)
        {
            Conditions.Set(conditions, BudgetTierConditions.Ready, Conditions.True, "ScaledToZero", "no pods: the tier is idle and scaled to zero", generation, now);
        }
        else if (ready >= 1 && rolledOut)
        {
            Conditions.Set(conditions, BudgetTierConditions.Ready, Conditions.True, "Serving",
                $"{ready} of {desired} pods ready on checkpoint {digestShort}", generation, now);
        }
        else
        {
            var reason = !observed || updated < desired ? "RollingOut" : "PodsNotReady";
            Conditions.Set(conditions, BudgetTierConditions.Ready, Conditions.False, reason,
                $"{ready} of {desired} pods ready, {updated} on checkpoint {digestShort}", generation, now);
        }

        if (replicas < desired || ready < desired)
        {
            Conditions.Set(conditions, BudgetTierConditions.Scaling, Conditions.True, "ScalingUp", $"{ready} of {desired} pods ready", generation, now);
        }
        else if (replicas > desired)
        {
            Conditions.Set(conditions, BudgetTierConditions.Scaling, Conditions.True, "ScalingDown", $"{replicas} pods, {desired} desired", generation, now);
        }
        else
        {
            Conditions.Set(conditions, BudgetTierConditions.Scaling, Conditions.False, "Stable", $"{desired} pods", generation, now);
        }

        if (desired > 0 && ready > 0 && ready < desired && !(replicas < desired))
        {
            Conditions.Set(conditions, BudgetTierConditions.Degraded, Conditions.True, "PodsNotReady", $"{desired - ready} of {desired} pods are not ready", generation, now);
        }
        else if (Overloaded(tier, status, desired) is { } overload)
        {
            Conditions.Set(conditions, BudgetTierConditions.Degraded, Conditions.True, "AtMaxReplicas", overload, generation, now);
        }
        else if (tier.Spec.Autoscaling is { Enabled: true } && status.Metrics is { PodsSampled: 0 } && ready > 0)
        {
            Conditions.Set(conditions, BudgetTierConditions.Degraded, Conditions.True, "MetricsMissing",
                "no ready pod's metrics could be read: the autoscaler holds the current size", generation, now);
        }
        else
        {
            Conditions.Set(conditions, BudgetTierConditions.Degraded, Conditions.False, "AsExpected", "", generation, now);
        }
    }

    /// <summary>A message when the autoscaled tier is at maxReplicas and its last observed load is still above target.</summary>
    private static string? Overloaded(BudgetTier tier, BudgetTierStatus status, int desired)
    {
        if (tier.Spec.Autoscaling is not { Enabled: true } autoscaling || tier.Spec.MaxReplicas is not { } max || desired < max
            || status.Metrics is not { PodsSampled: > 0 } metrics)
        {
            return null;
        }

        var load = metrics.Waiting + metrics.Running;
        return load > max * autoscaling.TargetQueueDepthPerReplica
            ? $"{load} requests need more than maxReplicas {max} x {autoscaling.TargetQueueDepthPerReplica} per replica"
            : null;
    }

    /// <summary>The label selector string of a tier's pods (for the scale subresource).</summary>
    public static string Selector(BudgetTier tier) => NestorLabels.TierSelector(tier.Metadata.Name);
}
