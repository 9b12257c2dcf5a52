using k8s.Models;
using Nestor.Local.Controllers.Common;
using Nestor.Operator.Core.Kube;

namespace Nestor.Local.Controllers.Deployments;

/// <summary>A Deployment's status from its pods, with the Available and Progressing conditions kube writes.</summary>
public static class DeploymentStatusCalculator
{
    public const string Available = "Available";
    public const string Progressing = "Progressing";

    /// <returns>The new status and, when the rollout is neither complete nor timed out, when to look again for the deadline.</returns>
    public static (V1DeploymentStatus Status, TimeSpan? Recheck) Compute(V1Deployment deployment, string hash,
        IReadOnlyList<V1Pod> newPods, IReadOnlyList<V1Pod> oldPods, bool acted, DateTime now)
    {
        var replicas = deployment.Spec.Replicas ?? 1;
        var minReady = deployment.Spec.MinReadySeconds ?? 0;
        var active = newPods.Concat(oldPods).ToList();
        var previous = deployment.Status ?? new V1DeploymentStatus();
        var status = new V1DeploymentStatus
        {
            ObservedGeneration = deployment.Metadata.Generation,
            Replicas = active.Count,
            UpdatedReplicas = newPods.Count,
            ReadyReplicas = active.Count(PodFacts.IsReady),
            AvailableReplicas = active.Count(p => PodFacts.IsAvailable(p, minReady, now)),
            CollisionCount = previous.CollisionCount,
            Conditions = (previous.Conditions ?? []).Select(KubeObjects.Clone).ToList(),
        };
        status.UnavailableReplicas = Math.Max(0, replicas - status.AvailableReplicas.Value);
        var (_, maxUnavailable) = RolloutPlanner.Limits(deployment);
        var replicaSet = $"{deployment.Metadata.Name}-{hash}";

        if (status.AvailableReplicas >= replicas - maxUnavailable)
        {
            Set(status.Conditions, Available, "True", "MinimumReplicasAvailable", "Deployment has minimum availability.", now, touch: false);
        }
        else
        {
            Set(status.Conditions, Available, "False", "MinimumReplicasUnavailable", "Deployment does not have minimum availability.", now, touch: false);
        }

        TimeSpan? recheck = null;
        var complete = status.UpdatedReplicas == replicas && status.Replicas == replicas && status.AvailableReplicas == replicas;
        var progressed = acted
            || status.UpdatedReplicas > (previous.UpdatedReplicas ?? 0)
            || status.ReadyReplicas > (previous.ReadyReplicas ?? 0)
            || status.AvailableReplicas > (previous.AvailableReplicas ?? 0)
            || (status.Replicas - status.UpdatedReplicas) < ((previous.Replicas ?? 0) - (previous.UpdatedReplicas ?? 0));
        var current = status.Conditions.FirstOrDefault(c => c.Type == Progressing);
        if (deployment.Spec.Paused == true)
        {
            Set(status.Conditions, Progressing, "Unknown", "DeploymentPaused", "Deployment is paused", now, touch: current?.Reason != "DeploymentPaused");
        }
        else if (complete)
        {
            Set(status.Conditions, Progressing, "True", "NewReplicaSetAvailable", $"ReplicaSet \"{replicaSet}\" has successfully progressed.", now,
                touch: current?.Reason != "NewReplicaSetAvailable");
        }
        else if (progressed || current is null || current.Reason is "NewReplicaSetAvailable" or "DeploymentPaused")
        {
            var reason = current is null ? "NewReplicaSetCreated" : "ReplicaSetUpdated";
            var message = current is null ? $"Created new replica set \"{replicaSet}\"" : $"ReplicaSet \"{replicaSet}\" is progressing.";
            Set(status.Conditions, Progressing, "True", reason, message, now, touch: true);
            recheck = TimeSpan.FromSeconds(deployment.Spec.ProgressDeadlineSeconds ?? 600);
        }
        else if (current.Status == "True" && deployment.Spec.ProgressDeadlineSeconds is { } deadline && deadline < int.MaxValue)
        {
            var since = current.LastUpdateTime ?? current.LastTransitionTime ?? now;
            var left = since.AddSeconds(deadline) - now;
            if (left <= TimeSpan.Zero)
            {
                Set(status.Conditions, Progressing, "False", "ProgressDeadlineExceeded", $"ReplicaSet \"{replicaSet}\" has timed out progressing.", now, touch: true);
            }
            else
            {
                recheck = left;
            }
        }

        return (status, recheck);
    }

    private static void Set(IList<V1DeploymentCondition> conditions, string type, string status, string reason, string message, DateTime now, bool touch)
    {
        var existing = conditions.FirstOrDefault(c => c.Type == type);
        if (existing is null)
        {
            conditions.Add(new V1DeploymentCondition
            {
                Type = type,
                Status = status,
                Reason = reason,
                Message = message,
                LastTransitionTime = now,
                LastUpdateTime = now,
            });
            return;
        }

        if (existing.Status != status)
        {
            existing.LastTransitionTime = now;
            touch = true;
        }

        if (existing.Reason != reason || existing.Message != message)
        {
            touch = true;
        }

        existing.Status = status;
        existing.Reason = reason;
        existing.Message = message;
        if (touch)
        {
            existing.LastUpdateTime = now;
        }
    }
}
