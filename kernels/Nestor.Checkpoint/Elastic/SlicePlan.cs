using Nestor.Checkpoint.Safetensors;

namespace Nestor.Checkpoint;

/// <summary>How one tensor of a budget is cut out of the stored tensor: kept index ranges on every axis.</summary>
public sealed record TensorSlice(
    string SourceName,
    string TargetName,
    IReadOnlyList<long> SourceShape,
    IReadOnlyList<long> TargetShape,
    IReadOnlyList<IReadOnlyList<IndexRange>> Axes)
{
    public long ElementCount => TargetShape.Aggregate(1L, (a, b) => a * b);

    /// <summary>True when the slice keeps the whole tensor.</summary>
    public bool IsWhole => TargetShape.SequenceEqual(SourceShape);
}

/// <summary>
/// What a budget keeps, as index ranges: per axis (hidden channels, FFN neurons, Mamba heads, attention heads,
/// layers) and per stored tensor, plus the config of the sliced model. Partial loading, slicing to a standalone
/// checkpoint and the hard masks of masked execution all derive from this one plan.
/// </summary>
/// <remarks>
/// Group-aware Mamba heads: with G groups of Hg heads and k kept per group, the kept heads are
/// <c>[g·Hg, g·Hg + k)</c> for every group g, so z, x and dt rows of <c>in_proj</c>, the x channels of
/// <c>conv1d</c>, <c>A_log</c>/<c>D</c>/<c>dt_bias</c>, the gated norm and the <c>out_proj</c> columns keep G ranges;
/// B and C are kept whole. Attention keeps the first KV heads and, within each, its first query heads, so
/// <c>q_proj</c> rows and <c>o_proj</c> columns keep one range per kept KV head.
/// </remarks>
public sealed class SlicePlan
{
    private readonly Dictionary<string, TensorSlice> _byTarget;

    private SlicePlan(NemotronHConfig source, ElasticBudget budget)
    {
        Source = source;
        Budget = budget;
        int hg = source.MambaHeadsPerGroup, k = budget.MambaHeadsPerGroup, p = source.MambaHeadDim;
        int r = source.AttentionHeadsPerGroup, rKept = budget.AttentionHeadsPerGroup;

        Hidden = [IndexRange.Prefix(budget.HiddenSize)];
        Ffn = [IndexRange.Prefix(budget.IntermediateSize)];
        MambaHeads = IndexRange.Normalize(Enumerable.Range(0, source.NGroups).Select(g => new IndexRange((long)g * hg, k)));
        MambaChannels = Scale(MambaHeads, p);
        AttentionKeyValueHeads = [IndexRange.Prefix(budget.NumKeyValueHeads)];
        AttentionQueryHeads = IndexRange.Normalize(Enumerable.Range(0, budget.NumKeyValueHeads).Select(g => new IndexRange((long)g * r, rKept)));
        KeptLayers = budget.Layers;

        var pattern = new string([.. budget.Layers.Select(i => source.HybridOverridePattern[i])]);
        Sliced = source.WithSizes(budget.HiddenSize, budget.IntermediateSize, source.NGroups * k,
            budget.NumAttentionHeads, budget.NumKeyValueHeads, pattern);

        long v = source.VocabSize, d = source.HiddenSize;
        var tensors = new List<TensorSlice> { Slice(TensorLayout.Embeddings, [v, d], TensorLayout.Embeddings, [All(v), Hidden]) };
        for (int target = 0; target < budget.Layers.Count; target++)
        {
            int layer = budget.Layers[target];
            foreach (var spec in TensorLayout.LayerTensors(source, layer))
            {
                var suffix = spec.Name[TensorLayout.Layer(layer, "").Length..];
                tensors.Add(Slice(spec.Name, spec.Shape, TensorLayout.Layer(target, suffix), LayerAxes(suffix, spec)));
            }
        }

        tensors.Add(Slice(TensorLayout.NormF, [d], TensorLayout.NormF, [Hidden]));
        tensors.Add(Slice(TensorLayout.LmHead, [v, d], TensorLayout.LmHead, [All(v), Hidden]));
        Tensors = tensors;
        _byTarget = tensors.ToDictionary(t => t.TargetName, StringComparer.Ordinal);
    }

    public NemotronHConfig Source { get; }

    public ElasticBudget Budget { get; }

    /// <summary>The config of the sliced model: reduced sizes, the kept layers' pattern, every other field unchanged.</summary>
    public NemotronHConfig Sliced { get; }

    /// <summary>Kept embedding channels (on every tensor's d axis).</summary>
    public IReadOnlyList<IndexRange> Hidden { get; }

    /// <summary>Kept FFN neurons of every MLP layer.</summary>
    public IReadOnlyList<IndexRange> Ffn { get; }

    /// <summary>Kept Mamba heads, in stored head order (G ranges, one per group, merged where they touch).</summary>
    public IReadOnlyList<IndexRange> MambaHeads { get; }

    /// <summary>Kept channels of z, x, y (heads × mamba_head_dim).</summary>
    public IReadOnlyList<IndexRange> MambaChannels { get; }

    /// <summary>Kept query heads (one range per kept KV head).</summary>
    public IReadOnlyList<IndexRange> AttentionQueryHeads { get; }

    /// <summary>Kept KV heads.</summary>
    public IReadOnlyList<IndexRange> AttentionKeyValueHeads { get; }

    /// <summary>Kept layers of the source; layer <c>KeptLayers[j]</c> becomes layer j of the sliced model.</summary>
    public IReadOnlyList<int> KeptLayers { get; }

    /// <summary>Every tensor of the sliced checkpoint, in writing order, with its source and kept ranges.</summary>
    public IReadOnlyList<TensorSlice> Tensors { get; }

    public static SlicePlan Create(NemotronHConfig config, ElasticBudget budget)
    {
        if (ElasticManifest.CheckFits(budget, config) is { } problem)
        {
            throw new ArgumentException($"budget '{budget.Name}': {problem}", nameof(budget));
        }

        return new SlicePlan(config, budget);
    }

    /// <summary>The slice that produces a tensor of the sliced checkpoint.</summary>
    public TensorSlice ForTarget(string targetName) =>
        _byTarget.TryGetValue(targetName, out var slice) ? slice : throw new KeyNotFoundException($"the sliced checkpoint has no tensor '{targetName}'");

    private static IndexRange[] All(long size) => [IndexRange.Prefix(size)];

    private static IReadOnlyList<IndexRange> Scale(IReadOnlyList<IndexRange> ranges, long factor) =>
        [.. ranges.Select(r => new IndexRange(r.Start * factor, r.Length * factor))];

    private static IReadOnlyList<IndexRange> Offset(IReadOnlyList<IndexRange> ranges, long offset) =>
        [.. ranges.Select(r => new IndexRange(r.Start + offset, r.Length))];

    private IReadOnlyList<IReadOnlyList<IndexRange>> LayerAxes(string suffix, TensorSpec spec)
    {
        var c = Source;
        long inner = c.MambaIntermediateSize, groupStates = 2L * c.NGroups * c.SsmStateSize;
        var qRows = Scale(AttentionQueryHeads, c.HeadDim);
        var kvRows = Scale(AttentionKeyValueHeads, c.HeadDim);
        return suffix switch
        {
            "norm.weight" => [Hidden],
            // in_proj rows: z (I) | x (I) | B, C (2·G·N) | dt (H)
            "mixer.in_proj.weight" => [IndexRange.Normalize([.. MambaChannels, .. Offset(MambaChannels, inner),
                new IndexRange(2 * inner, groupStates), .. Offset(MambaHeads, (2 * inner) + groupStates)]), Hidden],
            // conv channels: x (I) | B, C (2·G·N)
            "mixer.conv1d.weight" => [ConvChannels(inner, groupStates), All(1), All(c.ConvKernel)],
            "mixer.conv1d.bias" => [ConvChannels(inner, groupStates)],
            "mixer.A_log" or "mixer.D" or "mixer.dt_bias" => [MambaHeads],
            "mixer.norm.weight" => [MambaChannels],
            "mixer.out_proj.weight" => [Hidden, MambaChannels],
            "mixer.q_proj.weight" => [qRows, Hidden],
            "mixer.k_proj.weight" or "mixer.v_proj.weight" => [kvRows, Hidden],
            "mixer.o_proj.weight" => [Hidden, qRows],
            "mixer.up_proj.weight" => [Ffn, Hidden],
            "mixer.down_proj.weight" => [Hidden, Ffn],
            _ => throw new InvalidOperationException($"no slicing rule for {spec.Name}"),
        };
    }

    private IReadOnlyList<IndexRange> ConvChannels(long inner, long groupStates) =>
        IndexRange.Normalize([.. MambaChannels, new IndexRange(inner, groupStates)]);

    private static TensorSlice Slice(string source, IReadOnlyList<long> shape, string target, IReadOnlyList<IReadOnlyList<IndexRange>> axes) =>
        new(source, target, shape, [.. axes.Select(IndexRange.Total)], axes);
}
