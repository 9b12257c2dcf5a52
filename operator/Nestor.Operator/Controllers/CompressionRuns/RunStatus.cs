using k8s.Models;
using Nestor.Api.V1Alpha1;
using Nestor.Operator.Controllers.ElasticModels;
using Nestor.Operator.Controllers.Shared;
using Nestor.Operator.Core.Helpers;

namespace Nestor.Operator.Controllers.CompressionRuns;

/// <summary>
/// A run's phase, conditions, times and result from its Job and pods. While the Job runs, the phase is
/// the first trainer phase (EstimatingImportance) until the trainer's log reports another
/// (<see cref="TrainerProgressReader"/>); at the end the trainer's result JSON in the pod's termination
/// message gives the checkpoint, digest and per-budget evaluation.
/// </summary>
public static class RunStatus
{
    public static void FromJob(CompressionRun run, V1Job job, IReadOnlyList<V1Pod> pods, TrainerLayout layout, DateTime now)
    {
        var status = run.Status!;
        var conditions = status.Conditions!;
        var generation = run.Metadata.Generation;
        status.StartTime ??= job.Status?.StartTime;
        switch (JobState.Of(job))
        {
            case JobPhase.Succeeded:
                var pod = pods.Where(p => p.Status?.Phase == "Succeeded")
                    .OrderBy(p => p.Metadata.Annotation("batch.kubernetes.io/job-completion-index") ?? "0", StringComparer.Ordinal)
                    .FirstOrDefault();
                var result = CheckpointResult.TryParse(pod is null ? null : CheckpointResult.MessageOf(pod), out var error);
                if (result is null)
                {
                    var completed = job.Status?.CompletionTime ?? now;
                    if (status.Result is not null || (pod is null && now - completed < TimeSpan.FromSeconds(30)))
                    {
                        break; // already recorded (the pod may be gone since), or the pod is not in the cache yet
                    }

                    Fail(status, "NoResult", $"the trainer Job succeeded but left no result: {error}", generation, now);
                    break;
                }

                status.Phase = CompressionRunPhase.Succeeded;
                status.CompletionTime ??= job.Status?.CompletionTime ?? now;
                status.Result = new CompressionResult
                {
                    ClaimName = layout.OutputClaim,
                    CheckpointPath = ModelSourceKey.RelativeToMount(result.Path, layout.OutputMount),
                    Digest = result.Digest,
                    Evaluation = result.Budgets.Count == 0
                        ? null
                        : result.Budgets.ToDictionary(b => b.Name, b => new BudgetEvaluation { Params = b.Params, Accuracy = b.Accuracy, Perplexity = b.Perplexity }),
                };
                if (status.Progress is { } progress)
                {
                    progress.Step = Math.Max(progress.Step, progress.TotalSteps);
                    progress.EtaSeconds = 0;
                }

                Conditions.Set(conditions, CompressionRunConditions.Succeeded, Conditions.True, "CheckpointPublished", $"published {status.Result.CheckpointPath}", generation, now);
                Conditions.Set(conditions, CompressionRunConditions.Running, Conditions.False, "Completed", "the trainer finished", generation, now);
                Conditions.Set(conditions, CompressionRunConditions.Suspended, Conditions.False, "Completed", "", generation, now);
                break;
            case JobPhase.Failed:
                var failed = pods.OrderByDescending(p => p.Metadata.CreationTimestamp).Select(CheckpointResult.MessageOf).FirstOrDefault(m => m is not null);
                Fail(status, "TrainerFailed", $"{JobState.FailureMessage(job) ?? "the trainer Job failed"}{(failed is null ? "" : ": " + failed.Trim())}", generation, now);
                break;
            case JobPhase.Suspended:
                status.Phase = CompressionRunPhase.Suspended;
                Conditions.Set(conditions, CompressionRunConditions.Suspended, Conditions.True, "Suspended",
                    run.Spec.Suspend ? "spec.suspend is true (set by a user or Kueue)" : "the trainer Job is suspended", generation, now);
                Conditions.Set(conditions, CompressionRunConditions.Running, Conditions.False, "Suspended", "no trainer pod runs", generation, now);
                break;
            case JobPhase.Running:
                if (status.Phase is null or CompressionRunPhase.Pending or CompressionRunPhase.Suspended)
                {
                    status.Phase = CompressionRunPhase.EstimatingImportance;
                }

                Conditions.Set(conditions, CompressionRunConditions.Running, Conditions.True, "TrainerRunning",
                    $"{job.Status?.Active ?? 0} trainer pod(s) running{((job.Status?.Failed ?? 0) > 0 ? $" after {job.Status!.Failed} failed attempt(s), resuming from the last checkpoint" : "")}",
                    generation, now);
                Conditions.Set(conditions, CompressionRunConditions.Suspended, Conditions.False, "Running", "", generation, now);
                break;
            default:
                status.Phase = status.Phase is CompressionRunPhase.Suspended or null ? CompressionRunPhase.Pending : status.Phase;
                Conditions.Set(conditions, CompressionRunConditions.Running, Conditions.False, "Pending", "waiting for the trainer pod to start", generation, now);
                Conditions.Set(conditions, CompressionRunConditions.Suspended, Conditions.False, "Pending", "", generation, now);
                break;
        }
    }

    private static void Fail(CompressionRunStatus status, string reason, string message, long? generation, DateTime now)
    {
        status.Phase = CompressionRunPhase.Failed;
        Conditions.Set(status.Conditions!, CompressionRunConditions.Failed, Conditions.True, reason, message, generation, now);
        Conditions.Set(status.Conditions!, CompressionRunConditions.Running, Conditions.False, reason, "the trainer stopped", generation, now);
    }
}
