using System.Text.Json.Serialization;
using k8s.Models;
using Nestor.Api.Schema;

namespace Nestor.Api.V1Alpha1;

/// <summary>The observed state of an <see cref="ElasticModel"/>.</summary>
[Description("The observed state of an ElasticModel.")]
public sealed class ElasticModelStatus
{
    [JsonPropertyName("observedGeneration")]
    [Description("The metadata.generation this status describes. While it differs from metadata.generation, the status is stale.")]
    public long? ObservedGeneration { get; set; }

    [JsonPropertyName("conditions")]
    [Description("WeightsReady: the checkpoint is on the volume, verified, with the expected budgets. Ready: WeightsReady and every tier Ready. Degraded: some tier is degraded or not ready while others serve.")]
    [ListMap("type")]
    [Items(Max = 16)]
    public IList<V1Condition>? Conditions { get; set; }

    [JsonPropertyName("claimName")]
    [Description("The PersistentVolumeClaim that holds the weights (spec.weightVolume.claimName, or the claim made from the template).")]
    public string? ClaimName { get; set; }

    [JsonPropertyName("checkpoint")]
    [Description("The checkpoint being served.")]
    public CheckpointStatus? Checkpoint { get; set; }

    [JsonPropertyName("budgets")]
    [Description("The budgets in the checkpoint (from its elastic.json, with eval.json's figures where present), largest first.")]
    [ListMap("name")]
    [Items(Max = 64)]
    public IList<BudgetInfo>? Budgets { get; set; }

    [JsonPropertyName("tiers")]
    [Description("Every BudgetTier whose modelRef names this model.")]
    [ListMap("name")]
    [Items(Max = 256)]
    public IList<TierSummary>? Tiers { get; set; }

    [JsonPropertyName("loaderJobName")]
    [Description("The loader Job of the current source, while one exists.")]
    public string? LoaderJobName { get; set; }

    [JsonPropertyName("digestShort")]
    [Description("The first 12 hex digits of checkpoint.digest (a printer column).")]
    public string? DigestShort { get; set; }

    [JsonPropertyName("budgetCount")]
    [Description("The number of budgets (a printer column).")]
    public int? BudgetCount { get; set; }

    [JsonPropertyName("readyTiers")]
    [Description("Ready tiers / tiers, for example 2/3 (a printer column).")]
    public string? ReadyTiers { get; set; }
}

/// <summary>The checkpoint a model serves.</summary>
[Description("The checkpoint a model serves.")]
public sealed class CheckpointStatus
{
    [JsonPropertyName("path")]
    [Description("The checkpoint folder, relative to the weight volume's root: checkpoints/<model>/sha256-<hex>.")]
    [Required]
    public string Path { get; set; } = "";

    [JsonPropertyName("digest")]
    [Description("The content digest, sha256:<hex> (docs/checkpoint-format.md). It is in every runtime pod's template, so a new digest rolls every tier.")]
    [Required]
    public string Digest { get; set; } = "";

    [JsonPropertyName("source")]
    [Description("Where it came from: the URI, the source path, or compressionrun/<name>.")]
    public string? Source { get; set; }

    [JsonPropertyName("loadedAt")]
    [Description("When the operator first saw this digest ready.")]
    public DateTime? LoadedAt { get; set; }
}

/// <summary>A budget found in the checkpoint.</summary>
[Description("A budget in the checkpoint.")]
public sealed class BudgetInfo
{
    [JsonPropertyName("name")]
    [Description("The budget's name.")]
    [Required]
    public string Name { get; set; } = "";

    [JsonPropertyName("params")]
    [Description("Its exact parameter count.")]
    public long Params { get; set; }

    [JsonPropertyName("bytes")]
    [Description("The bytes of its weights in the checkpoint's dtype: what a pod that loads only this budget holds.")]
    public long Bytes { get; set; }

    [JsonPropertyName("accuracy")]
    [Description("Exact-match accuracy from the checkpoint's eval.json, where present.")]
    public double? Accuracy { get; set; }

    [JsonPropertyName("perplexity")]
    [Description("Perplexity from the checkpoint's eval.json, where present.")]
    public double? Perplexity { get; set; }
}

/// <summary>A tier of the model, as seen from the model.</summary>
[Description("A BudgetTier that serves this model.")]
public sealed class TierSummary
{
    [JsonPropertyName("name")]
    [Description("The BudgetTier's name.")]
    [Required]
    public string Name { get; set; } = "";

    [JsonPropertyName("budget")]
    [Description("The budget it serves.")]
    [Required]
    public string Budget { get; set; } = "";

    [JsonPropertyName("readyReplicas")]
    [Description("Its ready pods.")]
    public int ReadyReplicas { get; set; }

    [JsonPropertyName("desiredReplicas")]
    [Description("The pods it should have now.")]
    public int DesiredReplicas { get; set; }

    [JsonPropertyName("ready")]
    [Description("Whether its Ready condition is True.")]
    public bool Ready { get; set; }
}

/// <summary>The condition types and reasons of an <see cref="ElasticModel"/>.</summary>
public static class ElasticModelConditions
{
    public const string WeightsReady = "WeightsReady";
    public const string Ready = "Ready";
    public const string Degraded = "Degraded";
}
