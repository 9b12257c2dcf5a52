using k8s.Models;

namespace Nestor.Local.Controllers.Common;

/// <summary>What controllers ask about a pod: finished, terminating, ready, available.</summary>
public static class PodFacts
{
    public const string Succeeded = "Succeeded";
    public const string Failed = "Failed";
    public const string Running = "Running";
    public const string Pending = "Pending";

    public static bool IsTerminating(V1Pod pod) => pod.Metadata.DeletionTimestamp is not null;

    public static bool IsFinished(V1Pod pod) => pod.Status?.Phase is Succeeded or Failed;

    /// <summary>Counts toward a controller's replicas: neither finished nor being deleted (kube's FilterActivePods).</summary>
    public static bool IsActive(V1Pod pod) => !IsTerminating(pod) && !IsFinished(pod);

    public static bool IsReady(V1Pod pod) =>
        pod.Status?.Conditions?.Any(c => c.Type == "Ready" && c.Status == "True") == true;

    /// <summary>Ready for at least minReadySeconds (kube's IsPodAvailable).</summary>
    public static bool IsAvailable(V1Pod pod, int minReadySeconds, DateTime now)
    {
        var ready = pod.Status?.Conditions?.FirstOrDefault(c => c.Type == "Ready" && c.Status == "True");
        if (ready is null)
        {
            return false;
        }

        return minReadySeconds == 0 || (ready.LastTransitionTime is { } since && since.AddSeconds(minReadySeconds) <= now);
    }

    /// <summary>When a ready pod becomes available (for requeueing), or null when it is already or not ready.</summary>
    public static DateTime? AvailableAt(V1Pod pod, int minReadySeconds, DateTime now)
    {
        var ready = pod.Status?.Conditions?.FirstOrDefault(c => c.Type == "Ready" && c.Status == "True");
        if (ready?.LastTransitionTime is not { } since || minReadySeconds == 0)
        {
            return null;
        }

        var at = since.AddSeconds(minReadySeconds);
        return at > now ? at : null;
    }

    public static V1OwnerReference? ControllerOf(V1Pod pod) => pod.Metadata.OwnerReferences?.FirstOrDefault(r => r.Controller == true);

    public static bool IsControlledBy(V1Pod pod, string ownerUid) => ControllerOf(pod)?.Uid == ownerUid;

    public static int RestartCount(V1Pod pod) =>
        (pod.Status?.ContainerStatuses ?? []).Sum(c => c.RestartCount) + (pod.Status?.InitContainerStatuses ?? []).Sum(c => c.RestartCount);

    /// <summary>
    /// Orders pods so that the first are the cheapest to delete, as kube's ActivePods ranking:
    /// unscheduled before scheduled, pending before running, not ready before ready, ready for less
    /// time before longer, more restarts before fewer, newer before older.
    /// </summary>
    public static IOrderedEnumerable<V1Pod> DeletionOrder(IEnumerable<V1Pod> pods) => pods
        .OrderBy(p => string.IsNullOrEmpty(p.Spec?.NodeName) ? 0 : 1)
        .ThenBy(p => p.Status?.Phase switch { Pending => 0, Running => 2, _ => 1 })
        .ThenBy(p => IsReady(p) ? 1 : 0)
        .ThenByDescending(p => p.Status?.Conditions?.FirstOrDefault(c => c.Type == "Ready" && c.Status == "True")?.LastTransitionTime ?? DateTime.MaxValue)
        .ThenByDescending(RestartCount)
        .ThenByDescending(p => p.Metadata.CreationTimestamp ?? DateTime.MaxValue);
}
