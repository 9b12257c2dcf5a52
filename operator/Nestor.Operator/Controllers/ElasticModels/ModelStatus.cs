using Nestor.Api.V1Alpha1;
using Nestor.Operator.Core.Helpers;

namespace Nestor.Operator.Controllers.ElasticModels;

/// <summary>An ElasticModel's status: the checkpoint and budgets, the tiers' summary, and WeightsReady, Ready, Degraded.</summary>
public static class ModelStatus
{
    public static void SetWeights(ElasticModelStatus status, WeightsOutcome weights, long? generation, DateTime now)
    {
        if (weights.Checkpoint is { } checkpoint)
        {
            status.Checkpoint = checkpoint;
            status.DigestShort = checkpoint.Digest.Replace("sha256:", "", StringComparison.Ordinal)[..Math.Min(12, Math.Max(0, checkpoint.Digest.Length - 7))];
        }

        if (weights.Budgets is { } budgets)
        {
            status.Budgets = [.. budgets.Select(b => new BudgetInfo
            {
                Name = b.Name,
                Params = b.Params ?? 0,
                Bytes = b.Bytes ?? 0,
                Accuracy = b.Accuracy,
                Perplexity = b.Perplexity,
            }).OrderByDescending(b => b.Params)];
            status.BudgetCount = status.Budgets.Count;
        }

        Conditions.Set(status.Conditions!, ElasticModelConditions.WeightsReady, weights.Ready ? Conditions.True : Conditions.False,
            weights.Reason, weights.Message, generation, now);
    }

    public static void SummarizeTiers(ElasticModelStatus status, IEnumerable<BudgetTier> tiers, long? generation, DateTime now)
    {
        var summaries = tiers.OrderBy(t => t.Metadata.Name, StringComparer.Ordinal).Select(t => new TierSummary
        {
            Name = t.Metadata.Name,
            Budget = t.Spec.Budget,
            ReadyReplicas = t.Status?.ReadyReplicas ?? 0,
            DesiredReplicas = t.Status?.DesiredReplicas ?? 0,
            Ready = Conditions.IsTrue(t.Status?.Conditions, BudgetTierConditions.Ready),
        }).ToList();
        status.Tiers = summaries;
        var ready = summaries.Count(s => s.Ready);
        status.ReadyTiers = $"{ready}/{summaries.Count}";

        var weights = Conditions.Find(status.Conditions, ElasticModelConditions.WeightsReady)!;
        var notReady = summaries.Where(s => !s.Ready).Select(s => s.Name).ToList();
        if (weights.Status != Conditions.True)
        {
            Conditions.Set(status.Conditions!, ElasticModelConditions.Ready, Conditions.False, weights.Reason, weights.Message, generation, now);
        }
        else if (notReady.Count > 0)
        {
            Conditions.Set(status.Conditions!, ElasticModelConditions.Ready, Conditions.False, "TiersNotReady",
                $"not ready: {string.Join(", ", notReady)}", generation, now);
        }
        else
        {
            Conditions.Set(status.Conditions!, ElasticModelConditions.Ready, Conditions.True, summaries.Count == 0 ? "NoTiers" : "AllTiersReady",
                summaries.Count == 0 ? "the weights are ready; no BudgetTier serves them yet" : $"{summaries.Count} tiers ready", generation, now);
        }

        if (status.Checkpoint is not null && weights.Status != Conditions.True)
        {
            Conditions.Set(status.Conditions!, ElasticModelConditions.Degraded, Conditions.True, weights.Reason,
                $"still serving {status.Checkpoint.Path}: {weights.Message}", generation, now);
        }
        else if (ready > 0 && notReady.Count > 0)
        {
            Conditions.Set(status.Conditions!, ElasticModelConditions.Degraded, Conditions.True, "TiersNotReady",
                $"{ready} of {summaries.Count} tiers serve; not ready: {string.Join(", ", notReady)}", generation, now);
        }
        else
        {
            Conditions.Set(status.Conditions!, ElasticModelConditions.Degraded, Conditions.False, "AsExpected", "", generation, now);
        }
    }
}
