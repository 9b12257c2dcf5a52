using k8s.Models;
using Microsoft.Extensions.Logging;
using Nestor.Api.V1Alpha1;
using Nestor.Operator.Controllers.Shared;
using Nestor.Operator.Core.Controllers;
using Nestor.Operator.Core.Events;
using Nestor.Operator.Core.Helpers;
using Nestor.Operator.Core.Kube;

namespace Nestor.Operator.Controllers.ElasticModels;

/// <summary>
/// An ElasticModel: the weight claim, a loader Job per source (a path, a URI, or a CompressionRun's
/// result), the loaded checkpoint (path, digest, budgets) from the loader's termination message, and
/// the health of every tier that serves it.
/// </summary>
public sealed class ElasticModelReconciler(ControllerContext context, ILogger<ElasticModelReconciler> logger) : IReconciler
{
    public const string ControllerName = "elasticmodel";

    private static readonly ResourceType JobType = ResourceType.For<V1Job>();
    private static readonly TimeSpan ResultGracePeriod = TimeSpan.FromSeconds(30);

    public async Task<ReconcileResult> ReconcileAsync(ObjectKey key, CancellationToken cancellationToken)
    {
        var current = context.Cache<ElasticModel>().Get(key);
        if (current is null || Ownership.IsBeingDeleted(current))
        {
            return ReconcileResult.Done;
        }

        var model = KubeObjects.Clone(current);
        var status = model.Status ??= new ElasticModelStatus();
        status.Conditions ??= [];
        status.ObservedGeneration = model.Metadata.Generation;
        var claimName = WeightClaimBuilder.ClaimName(model);
        status.ClaimName = claimName;

        var weights = await EnsureClaimAsync(current, model, claimName, cancellationToken)
            ?? await EnsureWeightsAsync(current, model, claimName, cancellationToken);
        ModelStatus.SetWeights(status, weights, model.Metadata.Generation, context.UtcNow);
        ModelStatus.SummarizeTiers(status, context.Cache<BudgetTier>().List(key.Namespace).Where(t => t.Spec.ModelRef.Name == key.Name),
            model.Metadata.Generation, context.UtcNow);

        if (await context.Writer.UpdateStatusAsync(current, model, cancellationToken)
            && Conditions.Find(current.Status?.Conditions, ElasticModelConditions.WeightsReady)?.Reason != weights.Reason)
        {
            context.Events.Record(current, weights.Ready ? EventRecorder.Normal : EventRecorder.Warning, weights.Reason, weights.Message);
        }

        return weights.RequeueAfter is { } after ? ReconcileResult.After(after) : ReconcileResult.Done;
    }

    /// <summary>Ensures the template's claim, or checks that the named one exists; a blocking problem is returned.</summary>
    private async Task<WeightsOutcome?> EnsureClaimAsync(ElasticModel current, ElasticModel model, string claimName, CancellationToken cancellationToken)
    {
        var existing = context.Cache<V1PersistentVolumeClaim>().Get(model.Metadata.NamespaceProperty, claimName);
        if (model.Spec.WeightVolume.ClaimTemplate is { } template)
        {
            var claim = WeightClaimBuilder.Build(model, template);
            if (template.ReclaimPolicy == ClaimReclaimPolicy.Delete)
            {
                Ownership.SetController(claim, current);
            }

            var (outcome, _) = await context.Writer.EnsureAsync(claim, existing, cancellationToken);
            if (outcome == WriteOutcome.Created)
            {
                context.Events.Record(current, EventRecorder.Normal, "ClaimCreated", $"created PersistentVolumeClaim {claimName}");
            }

            return null;
        }

        return existing is null
            ? WeightsOutcome.NotReady("ClaimNotFound", $"PersistentVolumeClaim {claimName} does not exist in namespace {model.Metadata.NamespaceProperty}")
            : null;
    }

    private async Task<WeightsOutcome> EnsureWeightsAsync(ElasticModel current, ElasticModel model, string claimName, CancellationToken cancellationToken)
    {
        var ns = model.Metadata.NamespaceProperty;
        ModelSourceKey source;
        if (model.Spec.Source.CompressionRunRef is { } runRef)
        {
            var run = context.Cache<CompressionRun>().Get(ns, runRef.Name);
            if (run?.Status?.Result is not { } result)
            {
                return WeightsOutcome.NotReady("WaitingForCompressionRun",
                    run is null ? $"CompressionRun {runRef.Name} does not exist" : $"CompressionRun {runRef.Name} has no result yet (phase {run.Status?.Phase?.ToString() ?? "Pending"})");
            }

            if (result.ClaimName is { } runClaim && runClaim != claimName)
            {
                return WeightsOutcome.NotReady("RunOnOtherVolume",
                    $"CompressionRun {runRef.Name} published onto PersistentVolumeClaim {runClaim}, not this model's {claimName}: set the run's output.elasticModelRef to this model");
            }

            source = ModelSourceKey.OfRunResult(model, run, result);
        }
        else
        {
            source = ModelSourceKey.Of(model) ?? throw new InvalidOperationException("the source has no member set");
        }

        var jobName = source.JobName(model.Metadata.Name);
        await DeleteStaleLoadersAsync(current, jobName, cancellationToken);
        var job = context.Cache<V1Job>().Get(ns, jobName);
        var loaded = model.Status?.Checkpoint is { } served && served.Source == source.Description
            && (source.ExpectedDigest is null || served.Digest == source.ExpectedDigest);
        if (job is null)
        {
            model.Status!.LoaderJobName = null;
            if (loaded)
            {
                return WeightsOutcome.Served(model.Status!.Checkpoint!, "CheckpointReady", $"serving {model.Status.Checkpoint!.Path}");
            }

            var desired = LoaderJobBuilder.Build(model, source, claimName, context.Settings);
            Ownership.SetController(desired, current);
            await context.Writer.EnsureAsync(desired, null, cancellationToken);
            context.Events.Record(current, EventRecorder.Normal, "Loading", $"started loader Job {jobName} for {source.Description}");
            model.Status!.LoaderJobName = jobName;
            return WeightsOutcome.NotReady("Loading", $"loader Job {jobName} is fetching {source.Description}");
        }

        model.Status!.LoaderJobName = jobName;
        switch (JobState.Of(job))
        {
            case JobPhase.Succeeded:
                return await ApplyResultAsync(model, job, source, cancellationToken);
            case JobPhase.Failed:
                var pod = LoaderPods(job).OrderByDescending(p => p.Metadata.CreationTimestamp).FirstOrDefault();
                var detail = pod is null ? null : CheckpointResult.MessageOf(pod);
                return WeightsOutcome.NotReady("LoadFailed",
                    $"loader Job {jobName} failed ({JobState.FailureMessage(job) ?? "no reason given"}){(detail is null ? "" : ": " + detail.Trim())}");
            default:
                return WeightsOutcome.NotReady("Loading", $"loader Job {jobName} is fetching {source.Description}");
        }
    }

    private async Task<WeightsOutcome> ApplyResultAsync(ElasticModel model, V1Job job, ModelSourceKey source, CancellationToken cancellationToken)
    {
        var pod = LoaderPods(job).FirstOrDefault(p => p.Status?.Phase == "Succeeded");
        var result = CheckpointResult.TryParse(pod is null ? null : CheckpointResult.MessageOf(pod), out var error);
        if (result is null)
        {
            if (pod is null)
            {
                // The pod may not be in the cache yet (its watch lags the Job's): wait for it; only when it is
                // still missing well after completion is the result gone with it, and the load runs again.
                var completed = job.Status?.CompletionTime ?? DateTime.MinValue;
                if (context.UtcNow - completed < ResultGracePeriod)
                {
                    return WeightsOutcome.NotReady("Loading", $"loader Job {job.Metadata.Name} finished; reading its result") with { RequeueAfter = ResultGracePeriod };
                }

                await context.Manager.Api.DeleteAsync(JobType, job.Metadata.NamespaceProperty, job.Metadata.Name, cancellationToken, uid: job.Metadata.Uid);
                return WeightsOutcome.NotReady("Loading", $"the result of loader Job {job.Metadata.Name} is gone with its pod; loading again");
            }

            return WeightsOutcome.NotReady("InvalidLoaderResult", $"loader Job {job.Metadata.Name}: {error}");
        }

        var path = ModelSourceKey.RelativeToMount(result.Path, model.Spec.WeightVolume.MountPath);
        if (source.ExpectedDigest is { } expected && expected != result.Digest)
        {
            return WeightsOutcome.NotReady("DigestMismatch", $"{source.Description} has digest {result.Digest}, not the expected {expected}");
        }

        var missing = (model.Spec.Budgets ?? []).Except(result.Budgets.Select(b => b.Name)).ToList();
        if (missing.Count > 0)
        {
            return WeightsOutcome.NotReady("MissingBudgets",
                $"checkpoint {path} lacks budget(s) {string.Join(", ", missing)} (it holds: {string.Join(", ", result.Budgets.Select(b => b.Name))})");
        }

        var previous = model.Status!.Checkpoint;
        var checkpoint = new CheckpointStatus
        {
            Path = path,
            Digest = result.Digest,
            Source = source.Description,
            LoadedAt = previous?.Digest == result.Digest ? previous.LoadedAt : context.UtcNow,
        };
        if (previous?.Digest != result.Digest)
        {
            logger.LogInformation("ElasticModel {Model}: checkpoint {Digest} at {Path}", model.Metadata.Name, result.Digest, path);
        }

        return WeightsOutcome.Served(checkpoint, "CheckpointReady", $"serving {path}", result.Budgets);
    }

    private IEnumerable<V1Pod> LoaderPods(V1Job job) =>
        context.Cache<V1Pod>().ListByLabels(new Dictionary<string, string> { ["job-name"] = job.Metadata.Name }, job.Metadata.NamespaceProperty);

    /// <summary>Loader Jobs of earlier sources are deleted (with their pods) once the source changes.</summary>
    private async Task DeleteStaleLoadersAsync(ElasticModel owner, string currentJob, CancellationToken cancellationToken)
    {
        foreach (var job in context.Cache<V1Job>().ListByOwner(owner.Metadata.Uid))
        {
            if (job.Metadata.Name != currentJob && Ownership.IsControlledBy(job, owner)
                && job.Metadata.Labels?.ContainsKey(LoaderJobBuilder.LoaderModelLabel) == true)
            {
                await context.Manager.Api.DeleteAsync(JobType, job.Metadata.NamespaceProperty, job.Metadata.Name, cancellationToken, uid: job.Metadata.Uid);
            }
        }
    }
}

/// <summary>Where the weights stand: served (with the checkpoint and its budgets) or not, with a reason.</summary>
public sealed record WeightsOutcome(bool Ready, string Reason, string Message, CheckpointStatus? Checkpoint, IReadOnlyList<ResultBudget>? Budgets)
{
    public TimeSpan? RequeueAfter { get; init; }

    public static WeightsOutcome NotReady(string reason, string message) => new(false, reason, message, null, null);

    public static WeightsOutcome Served(CheckpointStatus checkpoint, string reason, string message, IReadOnlyList<ResultBudget>? budgets = null) =>
        new(true, reason, message, checkpoint, budgets);
}
