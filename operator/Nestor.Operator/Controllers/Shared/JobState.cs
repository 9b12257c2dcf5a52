using k8s.Models;

namespace Nestor.Operator.Controllers.Shared;

public enum JobPhase
{
    Pending,
    Running,
    Suspended,
    Succeeded,
    Failed,
}

/// <summary>A Job's state as its conditions and counters tell it (the Job controller's view, read by the operator).</summary>
public static class JobState
{
    public static JobPhase Of(V1Job job)
    {
        var conditions = job.Status?.Conditions ?? [];
        bool Has(string type) => conditions.Any(c => c.Type == type && c.Status == "True");
        if (Has("Complete"))
        {
            return JobPhase.Succeeded;
        }

        if (Has("Failed"))
        {
            return JobPhase.Failed;
        }

        if (job.Spec?.Suspend == true || Has("Suspended"))
        {
            return JobPhase.Suspended;
        }

        return (job.Status?.Active ?? 0) > 0 ? JobPhase.Running : JobPhase.Pending;
    }

    /// <summary>The message of the Failed condition.</summary>
    public static string? FailureMessage(V1Job job) =>
        job.Status?.Conditions?.FirstOrDefault(c => c.Type == "Failed" && c.Status == "True") is { } c
            ? $"{c.Reason}: {c.Message}".Trim(' ', ':')
            : null;
}
