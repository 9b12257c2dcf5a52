using Nestor.Checkpoint.Safetensors;

namespace Nestor.Checkpoint;

/// <summary>
/// One budget of an elastic checkpoint: how much of every axis it keeps. The stored weights are sorted by importance,
/// so every count means "the first N" (see docs/checkpoint-format.md); <see cref="SlicePlan"/> turns the counts into
/// index ranges per tensor.
/// </summary>
public sealed record ElasticBudget
{
    public required string Name { get; init; }

    /// <summary>Kept embedding channels: the first <c>HiddenSize</c> of every tensor's d axis.</summary>
    public required int HiddenSize { get; init; }

    /// <summary>Kept FFN neurons in every MLP layer.</summary>
    public required int IntermediateSize { get; init; }

    /// <summary>Kept Mamba heads in each of the n_groups groups (group-aware: the same in every group).</summary>
    public required int MambaHeadsPerGroup { get; init; }

    /// <summary>Kept KV heads (the first ones); each keeps its first <see cref="AttentionHeadsPerGroup"/> query heads.</summary>
    public required int NumKeyValueHeads { get; init; }

    /// <summary>Kept query heads in total (= kept KV heads × query heads kept per KV head).</summary>
    public required int NumAttentionHeads { get; init; }

    /// <summary>Kept layer indices, ascending.</summary>
    public required IReadOnlyList<int> Layers { get; init; }

    /// <summary>Exact parameter count (from the config and the counts above).</summary>
    public long Params { get; init; }

    /// <summary>Params × dtype size.</summary>
    public long Bytes { get; init; }

    /// <summary>What the trainer aimed for (optional, informational).</summary>
    public long? TargetParams { get; init; }

    public int AttentionHeadsPerGroup => NumAttentionHeads / NumKeyValueHeads;

    /// <summary>A budget with its <see cref="Params"/> and <see cref="Bytes"/> computed from the config.</summary>
    public static ElasticBudget Create(NemotronHConfig config, string name, int hiddenSize, int intermediateSize,
        int mambaHeadsPerGroup, int numKeyValueHeads, int numAttentionHeads, IEnumerable<int> layers, long? targetParams = null)
    {
        var budget = new ElasticBudget
        {
            Name = name,
            HiddenSize = hiddenSize,
            IntermediateSize = intermediateSize,
            MambaHeadsPerGroup = mambaHeadsPerGroup,
            NumKeyValueHeads = numKeyValueHeads,
            NumAttentionHeads = numAttentionHeads,
            Layers = [.. layers],
            TargetParams = targetParams,
        };
        var problem = ElasticManifest.CheckFits(budget, config);
        if (problem is not null)
        {
            throw new ArgumentException($"budget '{name}': {problem}");
        }

        return budget.WithCounts(config);
    }

    /// <summary>The budget that keeps everything the config stores.</summary>
    public static ElasticBudget Full(NemotronHConfig config, string name = "full") =>
        Create(config, name, config.HiddenSize, config.IntermediateSize, config.MambaHeadsPerGroup,
            config.NumKeyValueHeads, config.NumAttentionHeads, Enumerable.Range(0, config.NumHiddenLayers));

    /// <summary>This budget with <see cref="Params"/> and <see cref="Bytes"/> recomputed.</summary>
    public ElasticBudget WithCounts(NemotronHConfig config)
    {
        long parameters = ParameterCount.Of(config, this);
        return this with { Params = parameters, Bytes = parameters * config.DType.Size() };
    }

    /// <summary>True when everything this budget keeps is also kept by <paramref name="larger"/>.</summary>
    public bool IsNestedIn(ElasticBudget larger) =>
        HiddenSize <= larger.HiddenSize && IntermediateSize <= larger.IntermediateSize
        && MambaHeadsPerGroup <= larger.MambaHeadsPerGroup && NumKeyValueHeads <= larger.NumKeyValueHeads
        && AttentionHeadsPerGroup <= larger.AttentionHeadsPerGroup && !Layers.Except(larger.Layers).Any();
}
