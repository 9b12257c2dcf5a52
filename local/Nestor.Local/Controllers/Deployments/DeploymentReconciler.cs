using k8s.Models;
using Microsoft.Extensions.Logging;
using Nestor.Local.Controllers.Common;
using Nestor.Operator.Core.Controllers;
using Nestor.Operator.Core.Events;
using Nestor.Operator.Core.Helpers;
using Nestor.Operator.Core.Informers;
using Nestor.Operator.Core.Kube;

namespace Nestor.Local.Controllers.Deployments;

/// <summary>
/// The Deployment controller. The local API server serves no ReplicaSets, so a Deployment owns its
/// pods directly; the pods of one template carry its pod-template-hash label and play the part of
/// a ReplicaSet. Scale, rolling update (maxSurge/maxUnavailable) and Recreate, then status.
/// </summary>
public sealed class DeploymentReconciler(
    KubeApiClient api,
    InformerCache<V1Deployment> deployments,
    InformerCache<V1Pod> pods,
    Expectations expectations,
    EventRecorder events,
    TimeProvider clock,
    ILogger<DeploymentReconciler> logger) : IReconciler
{
    private static readonly ResourceType PodType = ResourceType.For<V1Pod>();
    private readonly ObjectWriter _writer = new(api);

    public async Task<ReconcileResult> ReconcileAsync(ObjectKey key, CancellationToken cancellationToken)
    {
        var deployment = deployments.Get(key);
        if (deployment is null)
        {
            expectations.Forget(key);
            return ReconcileResult.Done; // its pods go with it (garbage collection)
        }

        if (deployment.Metadata.DeletionTimestamp is not null || !expectations.Satisfied(key))
        {
            return ReconcileResult.Done; // informer events for the pods we touched will bring us back
        }

        var now = clock.GetUtcNow().UtcDateTime;
        var hash = PodTemplateHash.Compute(deployment.Spec.Template);
        var owned = pods.ListByOwner(deployment.Metadata.Uid).Where(p => PodFacts.IsControlledBy(p, deployment.Metadata.Uid)).ToList();
        var active = owned.Where(PodFacts.IsActive).ToList();
        var newPods = active.Where(p => IsNew(p, hash)).ToList();
        var oldPods = active.Where(p => !IsNew(p, hash)).ToList();
        var oldTerminating = owned.Count(p => PodFacts.IsTerminating(p) && !IsNew(p, hash));

        var plan = RolloutPlanner.Plan(deployment, newPods, oldPods, oldTerminating, now);
        if (!plan.IsEmpty)
        {
            logger.LogInformation("Deployment {Key}: {Reason} (create {Create}, delete {Delete})", key, plan.Reason, plan.Create, plan.Delete.Count);
        }

        await CreateAsync(deployment, hash, plan.Create, cancellationToken);
        await DeleteAsync(deployment, plan.Delete, cancellationToken);

        var (status, recheck) = DeploymentStatusCalculator.Compute(deployment, hash,
            newPods.Except(plan.Delete).ToList(), oldPods.Except(plan.Delete).ToList(), !plan.IsEmpty, now);
        var updated = KubeObjects.Clone(deployment);
        updated.Status = status;
        await _writer.UpdateStatusAsync(deployment, updated, cancellationToken);

        // Look again when a ready pod reaches minReadySeconds (no pod event marks that moment).
        var minReady = deployment.Spec.MinReadySeconds ?? 0;
        var nextAvailable = active.Select(p => PodFacts.AvailableAt(p, minReady, now)).Where(t => t is not null).Min();
        var result = ReconcileResult.Done;
        if (nextAvailable is { } at)
        {
            result = result.Min(ReconcileResult.After(at - now + TimeSpan.FromMilliseconds(50)));
        }

        if (recheck is { } wait)
        {
            result = result.Min(ReconcileResult.After(wait));
        }

        return result;
    }

    private static bool IsNew(V1Pod pod, string hash) =>
        pod.Metadata.Labels?.TryGetValue(PodTemplateHash.Label, out var value) == true && value == hash;

    private async Task CreateAsync(V1Deployment deployment, string hash, int count, CancellationToken cancellationToken)
    {
        if (count <= 0)
        {
            return;
        }

        var key = ObjectKey.Of(deployment);
        expectations.ExpectCreations(key, count);
        for (var i = 0; i < count; i++)
        {
            var pod = PodFactory.FromTemplate(deployment.Spec.Template, deployment, PodNames.GeneratePrefix($"{deployment.Metadata.Name}-{hash}"));
            pod.Metadata.Labels[PodTemplateHash.Label] = hash;
            try
            {
                var created = await api.CreateAsync(PodType, pod, cancellationToken);
                events.Record(deployment, EventRecorder.Normal, "SuccessfulCreate", $"Created pod: {created.Metadata.Name}");
            }
            catch (KubeApiException e)
            {
                // The rest will never be observed; a later reconcile retries.
                for (var j = i; j < count; j++)
                {
                    expectations.CreationObserved(key);
                }

                events.Record(deployment, EventRecorder.Warning, "FailedCreate", $"Error creating: {e.Message}");
                throw;
            }
        }
    }

    private Task DeleteAsync(V1Deployment deployment, IReadOnlyList<V1Pod> victims, CancellationToken cancellationToken) =>
        PodDeletion.DeleteAsync(api, expectations, events, deployment, victims, cancellationToken);
}
