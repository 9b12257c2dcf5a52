using System.Text.Json;
using k8s.Models;
using Microsoft.Extensions.Logging;
using Nestor.Api.V1Alpha1;
using Nestor.Operator.Controllers.Shared;
using Nestor.Operator.Core.Controllers;
using Nestor.Operator.Core.Events;
using Nestor.Operator.Core.Helpers;
using Nestor.Operator.Core.Kube;

namespace Nestor.Operator.Controllers.CompressionRuns;

/// <summary>
/// A CompressionRun: its configuration ConfigMap, the trainer Job (Indexed, with a headless Service,
/// for several nodes), suspend and resume through the Job's spec.suspend (Kueue-compatible), and its
/// status from the Job's conditions and, at the end, the trainer's result in the pod's termination
/// message. A target ElasticModel whose source is this run picks the result up by itself.
/// </summary>
public sealed class CompressionRunReconciler(ControllerContext context, ILogger<CompressionRunReconciler> logger) : IReconciler
{
    /// <summary>How often a running trainer's log tail is read for live progress.</summary>
    public static readonly TimeSpan ProgressInterval = TimeSpan.FromSeconds(10);

    private readonly TrainerProgressReader _progress = new(context.Manager.Api);

    public const string ControllerName = "compressionrun";

    private static readonly ResourceType JobType = ResourceType.For<V1Job>();

    public async Task<ReconcileResult> ReconcileAsync(ObjectKey key, CancellationToken cancellationToken)
    {
        var current = context.Cache<CompressionRun>().Get(key);
        if (current is null || Ownership.IsBeingDeleted(current))
        {
            return ReconcileResult.Done;
        }

        var run = KubeObjects.Clone(current);
        var status = run.Status ??= new CompressionRunStatus();
        status.Conditions ??= [];
        status.ObservedGeneration = run.Metadata.Generation;
        var now = context.UtcNow;
        var generation = run.Metadata.Generation;

        ElasticModel? target = null;
        if (run.Spec.Output.ElasticModelRef is { } modelRef)
        {
            target = context.Cache<ElasticModel>().Get(key.Namespace, modelRef.Name);
            if (target?.Status?.ClaimName is null && status.JobName is null)
            {
                status.Phase = CompressionRunPhase.Pending;
                Conditions.Set(status.Conditions, CompressionRunConditions.Running, Conditions.False, "WaitingForModel",
                    target is null ? $"ElasticModel {modelRef.Name} does not exist" : $"ElasticModel {modelRef.Name} has no weight volume yet",
                    generation, now);
                await context.Writer.UpdateStatusAsync(current, run, cancellationToken);
                return ReconcileResult.Done;
            }
        }

        var layout = TrainerLayout.For(run, target);
        var config = TrainerConfigBuilder.Build(run, layout);
        Ownership.SetController(config, current);
        await context.Writer.EnsureAsync(config, context.Cache<V1ConfigMap>().Get(key.Namespace, config.Metadata.Name), cancellationToken);

        if ((run.Spec.Resources?.Nodes ?? 1) > 1)
        {
            var service = TrainerJobBuilder.HeadlessService(run);
            Ownership.SetController(service, current);
            await context.Writer.EnsureAsync(service, context.Cache<V1Service>().Get(key.Namespace, service.Metadata.Name), cancellationToken);
        }

        var jobName = TrainerJobBuilder.JobName(run);
        var job = context.Cache<V1Job>().Get(key.Namespace, jobName);
        if (job is null)
        {
            if (status.Phase is CompressionRunPhase.Succeeded or CompressionRunPhase.Failed)
            {
                // A finished run whose Job was removed keeps its outcome: it is never trained again.
                await context.Writer.UpdateStatusAsync(current, run, cancellationToken);
                return ReconcileResult.Done;
            }

            var desired = TrainerJobBuilder.Build(run, layout, context.Settings);
            Ownership.SetController(desired, current);
            (_, job) = await context.Writer.EnsureAsync(desired, null, cancellationToken);
            context.Events.Record(current, EventRecorder.Normal, "JobCreated", $"created trainer Job {jobName}{(run.Spec.Suspend ? " (suspended)" : "")}");
        }
        else if (!Ownership.IsControlledBy(job, current))
        {
            status.Phase = CompressionRunPhase.Pending;
            Conditions.Set(status.Conditions, CompressionRunConditions.Running, Conditions.False, "JobConflict",
                $"a Job named {jobName} exists and is not controlled by this CompressionRun: delete or rename it", generation, now);
            await context.Writer.UpdateStatusAsync(current, run, cancellationToken);
            return ReconcileResult.Done;
        }
        else if ((job.Spec?.Suspend ?? false) != run.Spec.Suspend && JobState.Of(job) is not (JobPhase.Succeeded or JobPhase.Failed))
        {
            job = await context.Manager.Api.PatchAsync<V1Job>(JobType, key.Namespace, jobName, PatchKind.Merge,
                JsonSerializer.Serialize(new { spec = new { suspend = run.Spec.Suspend } }), cancellationToken);
            context.Events.Record(current, EventRecorder.Normal, run.Spec.Suspend ? "Suspended" : "Resumed",
                run.Spec.Suspend ? $"suspended trainer Job {jobName}: its pods stop; the trainer checkpoints on SIGTERM" : $"resumed trainer Job {jobName}: the trainer resumes from its last checkpoint");
        }

        status.JobName = jobName;
        var before = status.Phase;
        var pods = TrainerPods(job);
        RunStatus.FromJob(run, job, pods, layout, now);
        var running = JobState.Of(job) == JobPhase.Running;
        if (running && pods.Where(p => p.Status?.Phase == "Running")
                .OrderBy(p => p.Metadata.Annotation("batch.kubernetes.io/job-completion-index") ?? "0", StringComparer.Ordinal)
                .FirstOrDefault() is { } pod
            && await _progress.ReadAsync(pod, cancellationToken) is { } progress)
        {
            TrainerProgressReader.Apply(status, progress);
        }

        if (status.Phase != before)
        {
            logger.LogInformation("CompressionRun {Run}: {Before} -> {Phase}", key, before, status.Phase);
            if (status.Phase == CompressionRunPhase.Succeeded)
            {
                context.Events.Record(current, EventRecorder.Normal, "Succeeded", $"published {status.Result?.CheckpointPath} ({status.Result?.Digest})");
            }
            else if (status.Phase == CompressionRunPhase.Failed)
            {
                context.Events.Record(current, EventRecorder.Warning, "Failed",
                    Conditions.Find(status.Conditions, CompressionRunConditions.Failed)?.Message ?? "the trainer failed");
            }
        }

        await context.Writer.UpdateStatusAsync(current, run, cancellationToken);
        return running ? ReconcileResult.After(ProgressInterval) : ReconcileResult.Done;
    }

    private IReadOnlyList<V1Pod> TrainerPods(V1Job job) =>
        context.Cache<V1Pod>().ListByLabels(new Dictionary<string, string> { ["job-name"] = job.Metadata.Name }, job.Metadata.NamespaceProperty);
}
