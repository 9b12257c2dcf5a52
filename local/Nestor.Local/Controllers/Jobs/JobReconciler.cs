using System.Collections.Concurrent;
using k8s.Models;
using Microsoft.Extensions.Logging;
using Nestor.Local.Controllers.Common;
using Nestor.Operator.Core.Controllers;
using Nestor.Operator.Core.Events;
using Nestor.Operator.Core.Helpers;
using Nestor.Operator.Core.Informers;
using Nestor.Operator.Core.Kube;

namespace Nestor.Local.Controllers.Jobs;

/// <summary>Settings of the Job controller.</summary>
public sealed record JobControllerOptions
{
    /// <summary>Delay before re-creating a pod after the first failure, doubled per further failure (kube: 10 s).</summary>
    public TimeSpan BackoffBase { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Longest delay between pod re-creations (kube: 6 min).</summary>
    public TimeSpan BackoffMax { get; init; } = TimeSpan.FromMinutes(6);
}

/// <summary>
/// The Job controller, after kube's: pods with the batch.kubernetes.io/job-tracking finalizer, each
/// finished pod recorded in status.uncountedTerminatedPods before its finalizer goes and then folded
/// into succeeded/failed (so no pod is counted twice or lost, whatever crashes); parallelism and
/// completions, NonIndexed and Indexed completion, backoffLimit with exponential re-creation delay,
/// activeDeadlineSeconds, suspend and resume, FailureTarget before Failed, ttlSecondsAfterFinished.
/// </summary>
public sealed class JobReconciler(
    KubeApiClient api,
    InformerCache<V1Job> jobs,
    InformerCache<V1Pod> pods,
    Expectations expectations,
    EventRecorder events,
    JobControllerOptions options,
    TimeProvider clock,
    ILogger<JobReconciler> logger) : IReconciler
{
    private static readonly ResourceType PodType = ResourceType.For<V1Pod>();
    private static readonly ResourceType JobType = ResourceType.For<V1Job>();
    private readonly ConcurrentDictionary<ObjectKey, (int Failures, DateTime LastFailure)> _backoff = new();

    // Pods whose tracking finalizer this controller removed but the informer still shows with it: counted
    // already, so they must not be counted again from a cache that lags the job's own status (kube's
    // finalizer expectations).
    private readonly ConcurrentDictionary<ObjectKey, HashSet<string>> _releasing = new();

    public async Task<ReconcileResult> ReconcileAsync(ObjectKey key, CancellationToken cancellationToken)
    {
        var job = jobs.Get(key);
        if (job is null)
        {
            expectations.Forget(key);
            _backoff.TryRemove(key, out _);
            _releasing.TryRemove(key, out _);
            await ReleaseOrphansAsync(key, cancellationToken);
            return ReconcileResult.Done;
        }

        if (!expectations.Satisfied(key))
        {
            return ReconcileResult.Done;
        }

        var now = clock.GetUtcNow().UtcDateTime;
        var owned = pods.ListByOwner(job.Metadata.Uid).Where(p => PodFacts.IsControlledBy(p, job.Metadata.Uid)).ToList();
        if (IsFinished(job))
        {
            await ReleaseAsync(owned.Where(p => Ownership.HasFinalizer(p, JobPods.TrackingFinalizer)), cancellationToken);
            return await ExpireAsync(job, now, cancellationToken);
        }

        var (current, released) = await TrackAsync(job, owned, now, cancellationToken);
        job = current;
        var status = KubeObjects.Clone(job.Status ?? new V1JobStatus());
        var uncounted = status.UncountedTerminatedPods ??= new V1UncountedTerminatedPods();
        var succeeded = (status.Succeeded ?? 0) + (uncounted.Succeeded?.Count ?? 0);
        var failed = (status.Failed ?? 0) + (uncounted.Failed?.Count ?? 0);
        var active = owned.Where(p => PodFacts.IsActive(p) && !released.Contains(p.Metadata.Uid)).ToList();
        var terminating = owned.Count(p => PodFacts.IsTerminating(p) && !PodFacts.IsFinished(p));
        var result = ReconcileResult.Done;

        var failure = JobConditions.Find(status, JobConditions.FailureTarget) is { Status: "True" } target ? (target.Reason, target.Message) : FailureOf(job, status, active, failed, now);
        if (failure is { } why)
        {
            JobConditions.Set(status, JobConditions.FailureTarget, "True", why.Reason!, why.Message!, now);
            await DeleteAsync(job, active, cancellationToken);
            active.Clear();
            if (terminating == 0 && IsEmpty(status.UncountedTerminatedPods))
            {
                JobConditions.Set(status, JobConditions.Failed, "True", why.Reason!, why.Message!, now);
                events.Record(job, EventRecorder.Warning, why.Reason!, why.Message!);
                logger.LogInformation("Job {Key} failed: {Reason}", key, why.Reason);
            }
        }
        else if (IsSucceeded(job, status, succeeded, active.Count))
        {
            await DeleteAsync(job, active, cancellationToken);
            active.Clear();
            if (terminating == 0 && IsEmpty(status.UncountedTerminatedPods))
            {
                JobConditions.Set(status, JobConditions.SuccessCriteriaMet, "True", "CompletionsReached", "Reached expected number of succeeded pods", now);
                JobConditions.Set(status, JobConditions.Complete, "True", "CompletionsReached", "Reached expected number of succeeded pods", now);
                status.CompletionTime = now;
                events.Record(job, EventRecorder.Normal, "Completed", "Job completed");
                logger.LogInformation("Job {Key} completed", key);
            }
        }
        else if (job.Spec.Suspend == true)
        {
            await DeleteAsync(job, active, cancellationToken);
            active.Clear();
            if (!JobConditions.IsTrue(status, JobConditions.Suspended))
            {
                JobConditions.Set(status, JobConditions.Suspended, "True", "JobSuspended", "Job suspended", now);
                events.Record(job, EventRecorder.Normal, "Suspended", "Job suspended");
            }

            status.StartTime = null;
        }
        else
        {
            if (JobConditions.IsTrue(status, JobConditions.Suspended))
            {
                JobConditions.Set(status, JobConditions.Suspended, "False", "JobResumed", "Job resumed", now);
                events.Record(job, EventRecorder.Normal, "Resumed", "Job resumed");
            }

            status.StartTime ??= now;
            result = result.Min(await ManageAsync(job, status, active, succeeded, now, cancellationToken));
            if (job.Spec.ActiveDeadlineSeconds is { } deadline)
            {
                var left = status.StartTime.Value.AddSeconds(deadline) - now;
                result = result.Min(ReconcileResult.After(left > TimeSpan.Zero ? left : TimeSpan.FromMilliseconds(100)));
            }
        }

        status.Active = active.Count;
        status.Ready = active.Count(PodFacts.IsReady);
        status.Terminating = terminating;
        var updated = KubeObjects.Clone(job);
        updated.Status = status;
        await new ObjectWriter(api).UpdateStatusAsync(job, updated, cancellationToken);
        return result;
    }

    private static bool IsFinished(V1Job job) =>
        JobConditions.IsTrue(job.Status, JobConditions.Complete) || JobConditions.IsTrue(job.Status, JobConditions.Failed);

    private static bool IsEmpty(V1UncountedTerminatedPods? uncounted) =>
        (uncounted?.Succeeded?.Count ?? 0) == 0 && (uncounted?.Failed?.Count ?? 0) == 0;

    private static bool IsSucceeded(V1Job job, V1JobStatus status, int succeeded, int active)
    {
        if (JobPods.IsIndexed(job))
        {
            return IndexSet.Parse(status.CompletedIndexes).Count >= (job.Spec.Completions ?? 1);
        }

        return job.Spec.Completions is { } completions ? succeeded >= completions : succeeded > 0 && active == 0;
    }

    private static (string? Reason, string? Message)? FailureOf(V1Job job, V1JobStatus status, List<V1Pod> active, int failed, DateTime now)
    {
        var limit = job.Spec.BackoffLimit ?? 6;
        if (failed > limit || PastBackoffLimitOnFailure(job, active, limit))
        {
            return ("BackoffLimitExceeded", "Job has reached the specified backoff limit");
        }

        if (job.Spec.Suspend != true && job.Spec.ActiveDeadlineSeconds is { } deadline && status.StartTime is { } start && now >= start.AddSeconds(deadline))
        {
            return ("DeadlineExceeded", "Job was active longer than specified deadline");
        }

        return null;
    }

    /// <summary>With restartPolicy OnFailure the kubelet restarts containers in place; their restarts count toward backoffLimit.</summary>
    private static bool PastBackoffLimitOnFailure(V1Job job, List<V1Pod> active, int limit)
    {
        if (job.Spec.Template.Spec.RestartPolicy != "OnFailure")
        {
            return false;
        }

        var restarts = active.Where(p => p.Status?.Phase is PodFacts.Running or PodFacts.Pending).Sum(PodFacts.RestartCount);
        return limit == 0 ? restarts > 0 : restarts >= limit;
    }

    /// <summary>
    /// Step 1 of kube's tracking: finished pods (and pods deleted before finishing) still holding the
    /// tracking finalizer go into status.uncountedTerminatedPods; then their finalizers are removed;
    /// then they are folded into succeeded/failed. Returns the Job as last written and the pods released.
    /// </summary>
    private async Task<(V1Job Job, HashSet<string> Released)> TrackAsync(V1Job job, List<V1Pod> owned, DateTime now, CancellationToken cancellationToken)
    {
        var status = KubeObjects.Clone(job.Status ?? new V1JobStatus());
        var uncounted = status.UncountedTerminatedPods ??= new V1UncountedTerminatedPods();
        uncounted.Succeeded ??= [];
        uncounted.Failed ??= [];
        var completed = IndexSet.Parse(status.CompletedIndexes);
        var indexed = JobPods.IsIndexed(job);
        var releaseOnly = new List<V1Pod>();
        var added = false;
        var releasing = _releasing.GetOrAdd(ObjectKey.Of(job), _ => []);
        lock (releasing)
        {
            releasing.IntersectWith(owned.Where(p => Ownership.HasFinalizer(p, JobPods.TrackingFinalizer)).Select(p => p.Metadata.Uid));
        }

        foreach (var pod in owned.Where(p => Ownership.HasFinalizer(p, JobPods.TrackingFinalizer)))
        {
            var uid = pod.Metadata.Uid;
            bool beingReleased;
            lock (releasing)
            {
                beingReleased = releasing.Contains(uid);
            }

            if (beingReleased || uncounted.Succeeded.Contains(uid) || uncounted.Failed.Contains(uid))
            {
                continue;
            }

            if (pod.Status?.Phase == PodFacts.Succeeded)
            {
                if (indexed && (JobPods.Index(pod) is not { } ix || ix >= (job.Spec.Completions ?? 1) || !completed.Add(ix)))
                {
                    releaseOnly.Add(pod); // a second success of an index, or an index out of range: not counted
                    continue;
                }

                uncounted.Succeeded.Add(uid);
                added = true;
            }
            else if (pod.Status?.Phase == PodFacts.Failed || PodFacts.IsTerminating(pod))
            {
                if (job.Spec.Suspend == true && PodFacts.IsTerminating(pod))
                {
                    releaseOnly.Add(pod); // deleted because the Job was suspended (its exit by SIGTERM is not a failure)
                    continue;
                }

                uncounted.Failed.Add(uid);
                added = true;
            }
        }

        if (added)
        {
            status.CompletedIndexes = indexed ? IndexSet.Format(completed) : status.CompletedIndexes;
            job = await WriteStatusAsync(job, status, cancellationToken);
        }

        var toRelease = owned.Where(p => Ownership.HasFinalizer(p, JobPods.TrackingFinalizer)
            && (uncounted.Succeeded.Contains(p.Metadata.Uid) || uncounted.Failed.Contains(p.Metadata.Uid))).Concat(releaseOnly).ToList();
        lock (releasing)
        {
            releasing.UnionWith(toRelease.Select(p => p.Metadata.Uid));
        }

        await ReleaseAsync(toRelease, cancellationToken);
        var released = toRelease.Select(p => p.Metadata.Uid).ToHashSet();

        // Fold every uncounted pod whose finalizer is gone (now, or in an earlier run that crashed before this step).
        var stillHeld = owned.Where(p => Ownership.HasFinalizer(p, JobPods.TrackingFinalizer) && !released.Contains(p.Metadata.Uid))
            .Select(p => p.Metadata.Uid).ToHashSet();
        var foldSucceeded = uncounted.Succeeded.Where(u => !stillHeld.Contains(u)).ToList();
        var foldFailed = uncounted.Failed.Where(u => !stillHeld.Contains(u)).ToList();
        if (foldSucceeded.Count + foldFailed.Count == 0)
        {
            return (job, released);
        }

        status = KubeObjects.Clone(job.Status ?? new V1JobStatus());
        status.Succeeded = (status.Succeeded ?? 0) + foldSucceeded.Count;
        status.Failed = (status.Failed ?? 0) + foldFailed.Count;
        status.UncountedTerminatedPods = new V1UncountedTerminatedPods
        {
            Succeeded = uncounted.Succeeded.Except(foldSucceeded).ToList(),
            Failed = uncounted.Failed.Except(foldFailed).ToList(),
        };
        var key = ObjectKey.Of(job);
        var record = _backoff.GetValueOrDefault(key);
        if (foldFailed.Count > 0)
        {
            _backoff[key] = (record.Failures + foldFailed.Count, now);
        }
        else if (foldSucceeded.Count > 0)
        {
            _backoff.TryRemove(key, out _);
        }

        return (await WriteStatusAsync(job, status, cancellationToken), released);
    }

    private async Task<V1Job> WriteStatusAsync(V1Job job, V1JobStatus status, CancellationToken cancellationToken)
    {
        var updated = KubeObjects.Clone(job);
        updated.Status = status;
        return await api.ReplaceAsync(JobType, updated, cancellationToken, status: true);
    }

    /// <summary>Creates or deletes pods toward the wanted number of active pods (and, for Indexed Jobs, the pending indexes).</summary>
    private async Task<ReconcileResult> ManageAsync(V1Job job, V1JobStatus status, List<V1Pod> active, int succeeded, DateTime now, CancellationToken cancellationToken)
    {
        var parallelism = job.Spec.Parallelism ?? 1;
        var indexed = JobPods.IsIndexed(job);
        int wantActive;
        var toCreate = new List<int?>();
        if (indexed)
        {
            var completions = job.Spec.Completions ?? 1;
            var completed = IndexSet.Parse(status.CompletedIndexes);
            var byIndex = active.GroupBy(JobPods.Index).ToList();
            var extras = byIndex.SelectMany(g => g.Key is { } ix && ix < completions && !completed.Contains(ix)
                ? PodFacts.DeletionOrder(g).SkipLast(1)
                : g).ToList(); // duplicates of an index, indexes out of range or already completed
            await DeleteAsync(job, extras, cancellationToken);
            active.RemoveAll(extras.Contains);
            wantActive = Math.Min(parallelism, completions - completed.Count);
            var running = active.Select(JobPods.Index).OfType<int>().ToHashSet();
            var pending = Enumerable.Range(0, completions).Where(i => !completed.Contains(i) && !running.Contains(i));
            toCreate.AddRange(pending.Take(Math.Max(0, wantActive - active.Count)).Select(i => (int?)i));
        }
        else
        {
            wantActive = job.Spec.Completions is { } completions
                ? Math.Max(0, Math.Min(completions - succeeded, parallelism))
                : succeeded > 0 ? active.Count : parallelism;
            toCreate.AddRange(Enumerable.Repeat<int?>(null, Math.Max(0, wantActive - active.Count)));
        }

        if (active.Count > wantActive)
        {
            var excess = PodFacts.DeletionOrder(active).Take(active.Count - wantActive).ToList();
            await DeleteAsync(job, excess, cancellationToken);
            active.RemoveAll(excess.Contains);
        }

        if (toCreate.Count == 0)
        {
            return ReconcileResult.Done;
        }

        if (_backoff.TryGetValue(ObjectKey.Of(job), out var record) && record.Failures > 0)
        {
            var delay = TimeSpan.FromTicks((long)Math.Min(options.BackoffMax.Ticks, options.BackoffBase.Ticks * Math.Pow(2, Math.Min(record.Failures - 1, 30))));
            var wait = record.LastFailure + delay - now;
            if (wait > TimeSpan.Zero)
            {
                return ReconcileResult.After(wait);
            }
        }

        var key = ObjectKey.Of(job);
        expectations.ExpectCreations(key, toCreate.Count);
        for (var i = 0; i < toCreate.Count; i++)
        {
            try
            {
                var created = await api.CreateAsync(PodType, JobPods.Build(job, toCreate[i]), cancellationToken);
                active.Add(created);
                events.Record(job, EventRecorder.Normal, "SuccessfulCreate", $"Created pod: {created.Metadata.Name}");
            }
            catch (KubeApiException e)
            {
                for (var j = i; j < toCreate.Count; j++)
                {
                    expectations.CreationObserved(key);
                }

                events.Record(job, EventRecorder.Warning, "FailedCreate", $"Error creating: {e.Message}");
                throw;
            }
        }

        return ReconcileResult.Done;
    }

    private Task DeleteAsync(V1Job job, IReadOnlyList<V1Pod> victims, CancellationToken cancellationToken) =>
        PodDeletion.DeleteAsync(api, expectations, events, job, victims, cancellationToken);

    private async Task ReleaseAsync(IEnumerable<V1Pod> victims, CancellationToken cancellationToken)
    {
        const string patch = "{\"metadata\":{\"$deleteFromPrimitiveList/finalizers\":[\"" + JobPods.TrackingFinalizer + "\"]}}";
        foreach (var pod in victims)
        {
            try
            {
                await api.PatchAsync<V1Pod>(PodType, pod.Metadata.NamespaceProperty, pod.Metadata.Name, PatchKind.StrategicMerge, patch, cancellationToken);
            }
            catch (KubeApiException e) when (e.IsNotFound)
            {
            }
        }
    }

    /// <summary>A deleted Job's pods must not keep its tracking finalizer forever.</summary>
    private async Task ReleaseOrphansAsync(ObjectKey key, CancellationToken cancellationToken)
    {
        var orphans = pods.List(key.Namespace).Where(p => Ownership.HasFinalizer(p, JobPods.TrackingFinalizer)
            && PodFacts.ControllerOf(p) is { Kind: "Job" } owner && owner.Name == key.Name).ToList();
        await ReleaseAsync(orphans, cancellationToken);
    }

    /// <summary>ttlSecondsAfterFinished: delete the finished Job (and, in the foreground, its pods) once the time is up.</summary>
    private async Task<ReconcileResult> ExpireAsync(V1Job job, DateTime now, CancellationToken cancellationToken)
    {
        if (job.Spec.TtlSecondsAfterFinished is not { } ttl || job.Metadata.DeletionTimestamp is not null)
        {
            return ReconcileResult.Done;
        }

        var finishedAt = (JobConditions.Find(job.Status, JobConditions.Complete) is { Status: "True" } c ? c : JobConditions.Find(job.Status, JobConditions.Failed))
            ?.LastTransitionTime ?? now;
        var left = finishedAt.AddSeconds(ttl) - now;
        if (left > TimeSpan.Zero)
        {
            return ReconcileResult.After(left);
        }

        logger.LogInformation("Job {Key} finished {Ttl} s ago (ttlSecondsAfterFinished); deleting it", ObjectKey.Of(job), ttl);
        await api.DeleteAsync(JobType, job.Metadata.NamespaceProperty, job.Metadata.Name, cancellationToken, propagationPolicy: "Foreground", uid: job.Metadata.Uid);
        return ReconcileResult.Done;
    }
}
