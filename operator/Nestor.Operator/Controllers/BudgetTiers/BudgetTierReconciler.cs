using k8s.Models;
using Microsoft.Extensions.Logging;
using Nestor.Api;
using Nestor.Api.V1Alpha1;
using Nestor.Operator.Autoscaling;
using Nestor.Operator.Controllers.Shared;
using Nestor.Operator.Core.Controllers;
using Nestor.Operator.Core.Events;
using Nestor.Operator.Core.Helpers;
using Nestor.Operator.Core.Kube;

namespace Nestor.Operator.Controllers.BudgetTiers;

/// <summary>
/// A BudgetTier: its Deployment and Service when the model's checkpoint holds the budget, the
/// replica count from its one owner (the autoscaler's status.desiredReplicas, or spec.replicas), and
/// its status. A budget the checkpoint lacks gives Ready=False, reason BudgetNotFound, and no pods.
/// </summary>
public sealed class BudgetTierReconciler(ControllerContext context, TierAutoscaler autoscaler, ILogger<BudgetTierReconciler> logger) : IReconciler
{
    public const string ControllerName = "budgettier";

    private static readonly ResourceType DeploymentType = ResourceType.For<V1Deployment>();

    public async Task<ReconcileResult> ReconcileAsync(ObjectKey key, CancellationToken cancellationToken)
    {
        var current = context.Cache<BudgetTier>().Get(key);
        if (current is null || Ownership.IsBeingDeleted(current))
        {
            autoscaler.Stop(key);
            return ReconcileResult.Done;
        }

        var tier = KubeObjects.Clone(current);
        var status = tier.Status ??= new BudgetTierStatus();
        status.Conditions ??= [];
        status.ObservedGeneration = tier.Metadata.Generation;
        status.Selector = NestorLabels.TierSelector(tier.Metadata.Name);
        status.ServedModel = $"{tier.Spec.ModelRef.Name}@{tier.Spec.Budget}";
        status.Endpoint = TierServiceBuilder.Endpoint(tier);

        var deployment = context.Cache<V1Deployment>().Get(key);
        if (deployment is not null && !Ownership.IsControlledBy(deployment, tier))
        {
            return await BlockedAsync(current, tier, null, "DeploymentConflict",
                $"a Deployment named {key.Name} exists and is not controlled by this BudgetTier", cancellationToken);
        }

        var model = context.Cache<ElasticModel>().Get(key.Namespace, tier.Spec.ModelRef.Name);
        if (model is null)
        {
            return await BlockedAsync(current, tier, deployment, "ModelNotFound",
                $"ElasticModel {tier.Spec.ModelRef.Name} does not exist in namespace {key.Namespace}", cancellationToken);
        }

        if (model.Status?.Checkpoint is not { } checkpoint || model.Status.ClaimName is not { } claimName)
        {
            var weights = Conditions.Find(model.Status?.Conditions, ElasticModelConditions.WeightsReady);
            return await BlockedAsync(current, tier, deployment, "WaitingForWeights",
                $"ElasticModel {model.Metadata.Name} has no checkpoint ready yet{(weights is null ? "" : $" ({weights.Reason}: {weights.Message})")}",
                cancellationToken);
        }

        var budgets = model.Status.Budgets ?? [];
        var budget = budgets.FirstOrDefault(b => b.Name == tier.Spec.Budget);
        if (budget is null)
        {
            if (deployment is not null)
            {
                await context.Manager.Api.DeleteAsync(DeploymentType, key.Namespace, key.Name, cancellationToken, uid: deployment.Metadata.Uid);
                context.Events.Record(current, EventRecorder.Warning, "BudgetNotFound", $"deleted Deployment {key.Name}: the checkpoint lacks budget {tier.Spec.Budget}");
                deployment = null;
            }

            return await BlockedAsync(current, tier, deployment, "BudgetNotFound",
                $"budget \"{tier.Spec.Budget}\" is not in checkpoint {Short(checkpoint.Digest)} of ElasticModel {model.Metadata.Name}, which holds: {string.Join(", ", budgets.Select(b => b.Name))}",
                cancellationToken);
        }

        var desired = DesiredReplicas(tier, deployment);
        status.DesiredReplicas = desired;
        var desiredDeployment = TierDeploymentBuilder.Build(tier, model, checkpoint, claimName, desired, context.Settings);
        Ownership.SetController(desiredDeployment, current);
        var (outcome, written) = await context.Writer.EnsureAsync(desiredDeployment, deployment, cancellationToken);
        if (outcome != WriteOutcome.Unchanged)
        {
            var rolled = deployment?.Spec?.Template?.Metadata.Annotation(NestorLabels.CheckpointDigestAnnotation) is { } old && old != checkpoint.Digest;
            logger.LogInformation("{Outcome} Deployment {Key} ({Replicas} replicas, digest {Digest})", outcome, key, desired, Short(checkpoint.Digest));
            if (rolled)
            {
                context.Events.Record(current, EventRecorder.Normal, "Rolling", $"rolling to checkpoint {Short(checkpoint.Digest)}");
            }
        }

        var service = TierServiceBuilder.Build(tier);
        Ownership.SetController(service, current);
        var existingService = context.Cache<V1Service>().Get(key);
        if (existingService is not null && !Ownership.IsControlledBy(existingService, tier))
        {
            return await BlockedAsync(current, tier, written, "ServiceConflict",
                $"a Service named {key.Name} exists and is not controlled by this BudgetTier", cancellationToken);
        }

        await context.Writer.EnsureAsync(service, existingService, cancellationToken);

        status.CheckpointDigest = checkpoint.Digest;
        status.Params = budget.Params;
        TierStatus.FromDeployment(status, written, desired);
        TierStatus.SetServingConditions(tier, status, written, desired, checkpoint.Digest, tier.Metadata.Generation, context.UtcNow);

        if (tier.Spec.Autoscaling is { Enabled: true })
        {
            autoscaler.Ensure(key, cancellationToken);
        }
        else
        {
            autoscaler.Stop(key);
        }

        await context.Writer.UpdateStatusAsync(current, tier, cancellationToken);
        return ReconcileResult.Done;
    }

    /// <summary>The replicas the Deployment gets: the autoscaler's decision while it is on, else spec.replicas or minReplicas.</summary>
    public static int DesiredReplicas(BudgetTier tier, V1Deployment? deployment)
    {
        if (tier.Spec.Autoscaling is { Enabled: true } autoscaling)
        {
            var max = tier.Spec.MaxReplicas ?? tier.Spec.MinReplicas;
            var min = autoscaling.AllowScaleToZero ? 0 : tier.Spec.MinReplicas;
            // A tier that has no Deployment yet (new, or blocked until now) starts at minReplicas.
            var decided = deployment is null ? tier.Spec.MinReplicas : tier.Status?.DesiredReplicas ?? deployment.Spec?.Replicas ?? tier.Spec.MinReplicas;
            return Math.Clamp(decided, min, Math.Max(min, max));
        }

        return tier.Spec.Replicas ?? tier.Spec.MinReplicas;
    }

    private async Task<ReconcileResult> BlockedAsync(BudgetTier current, BudgetTier tier, V1Deployment? deployment, string reason, string message,
        CancellationToken cancellationToken)
    {
        autoscaler.Stop(ObjectKey.Of(current));
        var status = tier.Status!;
        var now = context.UtcNow;
        TierStatus.FromDeployment(status, deployment, deployment?.Spec?.Replicas ?? 0);
        if (deployment is null)
        {
            status.DesiredReplicas = 0;
        }

        var generation = tier.Metadata.Generation;
        var changed = Conditions.Set(status.Conditions!, BudgetTierConditions.Ready, Conditions.False, reason, message, generation, now);
        Conditions.Set(status.Conditions!, BudgetTierConditions.Scaling, Conditions.False, reason, "nothing to scale", generation, now);
        Conditions.Set(status.Conditions!, BudgetTierConditions.Degraded, Conditions.True, reason, message, generation, now);
        if (changed)
        {
            context.Events.Record(current, EventRecorder.Warning, reason, message);
        }

        await context.Writer.UpdateStatusAsync(current, tier, cancellationToken);
        return ReconcileResult.Done;
    }

    private static string Short(string digest) => digest.Replace("sha256:", "", StringComparison.Ordinal)[..Math.Min(12, digest.Length - 7)];
}
