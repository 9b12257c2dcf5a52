using k8s.Models;

namespace Nestor.Local.Controllers.Jobs;

/// <summary>The batch/v1 Job condition types and the helpers to set them (lastTransitionTime moves with the status only).</summary>
public static class JobConditions
{
    public const string Complete = "Complete";
    public const string Failed = "Failed";
    public const string Suspended = "Suspended";
    public const string FailureTarget = "FailureTarget";
    public const string SuccessCriteriaMet = "SuccessCriteriaMet";

    public static V1JobCondition? Find(V1JobStatus? status, string type) => status?.Conditions?.FirstOrDefault(c => c.Type == type);

    public static bool IsTrue(V1JobStatus? status, string type) => Find(status, type)?.Status == "True";

    public static void Set(V1JobStatus status, string type, string value, string reason, string message, DateTime now)
    {
        status.Conditions ??= [];
        var existing = status.Conditions.FirstOrDefault(c => c.Type == type);
        if (existing is null)
        {
            status.Conditions.Add(new V1JobCondition
            {
                Type = type,
                Status = value,
                Reason = reason,
                Message = message,
                LastProbeTime = now,
                LastTransitionTime = now,
            });
            return;
        }

        if (existing.Status != value || existing.Reason != reason || existing.Message != message)
        {
            if (existing.Status != value)
            {
                existing.LastTransitionTime = now;
            }

            existing.Status = value;
            existing.Reason = reason;
            existing.Message = message;
            existing.LastProbeTime = now;
        }
    }
}
