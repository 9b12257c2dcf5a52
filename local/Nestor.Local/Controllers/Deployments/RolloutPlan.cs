using k8s.Models;
using Nestor.Local.Controllers.Common;

namespace Nestor.Local.Controllers.Deployments;

/// <summary>What one reconcile of a Deployment does to its pods: create some from the current template, delete some.</summary>
public sealed record RolloutPlan(int Create, IReadOnlyList<V1Pod> Delete, string Reason)
{
    public static readonly RolloutPlan Nothing = new(0, [], "steady");

    public bool IsEmpty => Create == 0 && Delete.Count == 0;
}

/// <summary>
/// The Deployment controller's scaling and rollout decisions, as kube's deployment and ReplicaSet
/// controllers make them, with the pods of each template hash standing in for a ReplicaSet. Pure:
/// given the Deployment and its pods, it returns the next step.
/// </summary>
public static class RolloutPlanner
{
    public static (int MaxSurge, int MaxUnavailable) Limits(V1Deployment deployment)
    {
        var replicas = deployment.Spec.Replicas ?? 1;
        var rolling = deployment.Spec.Strategy?.RollingUpdate;
        var surge = IntOrPercent.Resolve(rolling?.MaxSurge, replicas, roundUp: true, "25%");
        var unavailable = IntOrPercent.Resolve(rolling?.MaxUnavailable, replicas, roundUp: false, "25%");
        if (surge == 0 && unavailable == 0)
        {
            unavailable = 1; // kube: both zero would deadlock the rollout
        }

        return (surge, unavailable);
    }

    /// <param name="newPods">Active pods of the current template hash.</param>
    /// <param name="oldPods">Active pods of any other hash.</param>
    /// <param name="oldTerminating">Pods of other hashes still shutting down (Recreate waits for them).</param>
    public static RolloutPlan Plan(V1Deployment deployment, IReadOnlyList<V1Pod> newPods, IReadOnlyList<V1Pod> oldPods, int oldTerminating, DateTime now)
    {
        var replicas = deployment.Spec.Replicas ?? 1;
        var minReady = deployment.Spec.MinReadySeconds ?? 0;

        if (deployment.Spec.Paused == true)
        {
            // No rollout while paused: only keep the pod count at spec.replicas (old pods go first).
            var total = newPods.Count + oldPods.Count;
            if (total < replicas)
            {
                return new RolloutPlan(replicas - total, [], "scale up (paused)");
            }

            var extra = PodFacts.DeletionOrder(oldPods).Concat(PodFacts.DeletionOrder(newPods)).Take(total - replicas).ToList();
            return extra.Count > 0 ? new RolloutPlan(0, extra, "scale down (paused)") : RolloutPlan.Nothing;
        }

        if (deployment.Spec.Strategy?.Type == "Recreate")
        {
            if (oldPods.Count > 0)
            {
                return new RolloutPlan(0, oldPods.ToList(), "recreate: delete old pods");
            }

            if (oldTerminating > 0)
            {
                return RolloutPlan.Nothing; // Recreate starts new pods only once every old one is gone
            }

            return ScaleNew(newPods, replicas);
        }

        var (maxSurge, maxUnavailable) = Limits(deployment);
        if (newPods.Count > replicas)
        {
            return ScaleNew(newPods, replicas);
        }

        if (newPods.Count < replicas)
        {
            var total = newPods.Count + oldPods.Count;
            var room = replicas + maxSurge - total;
            if (room > 0)
            {
                return new RolloutPlan(Math.Min(room, replicas - newPods.Count), [], oldPods.Count > 0 ? "rolling update: surge" : "scale up");
            }
        }

        if (oldPods.Count == 0)
        {
            return RolloutPlan.Nothing;
        }

        var minAvailable = replicas - maxUnavailable;
        var newAvailable = newPods.Count(p => PodFacts.IsAvailable(p, minReady, now));
        var oldAvailable = oldPods.Count(p => PodFacts.IsAvailable(p, minReady, now));
        var newUnavailable = newPods.Count - newAvailable;
        var maxScaledDown = newPods.Count + oldPods.Count - minAvailable - newUnavailable;
        if (maxScaledDown <= 0)
        {
            return RolloutPlan.Nothing;
        }

        // First old pods that are not available anyway (kube's cleanupUnhealthyReplicas)...
        var delete = PodFacts.DeletionOrder(oldPods.Where(p => !PodFacts.IsAvailable(p, minReady, now))).Take(maxScaledDown).ToList();

        // ...then available old pods, as long as availability stays at or above minAvailable.
        var healthyBudget = newAvailable + oldAvailable - minAvailable;
        if (healthyBudget > 0)
        {
            var budget = Math.Min(healthyBudget, maxScaledDown - delete.Count);
            delete.AddRange(PodFacts.DeletionOrder(oldPods.Where(p => PodFacts.IsAvailable(p, minReady, now))).Take(Math.Max(0, budget)));
        }

        return delete.Count > 0 ? new RolloutPlan(0, delete, "rolling update: scale down old pods") : RolloutPlan.Nothing;
    }

    private static RolloutPlan ScaleNew(IReadOnlyList<V1Pod> newPods, int replicas)
    {
        if (newPods.Count < replicas)
        {
            return new RolloutPlan(replicas - newPods.Count, [], "scale up");
        }

        if (newPods.Count > replicas)
        {
            return new RolloutPlan(0, PodFacts.DeletionOrder(newPods).Take(newPods.Count - replicas).ToList(), "scale down");
        }

        return RolloutPlan.Nothing;
    }
}
