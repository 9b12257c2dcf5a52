using Nestor.Checkpoint;
using static TorchSharp.torch;

namespace Nestor.Kernels;

/// <summary>
/// A reordering of channels, neurons and heads that leaves the model's function unchanged: the primitive behind
/// importance sorting (the trainer computes the scores; applying the order makes every budget a prefix). Each array
/// says, for every new position, which old index moves there. Axes left null/absent are not touched.
/// </summary>
public sealed class ModelPermutation
{
    /// <summary>[d] embedding channels (applied to every tensor's d axis).</summary>
    public long[]? Hidden { get; init; }

    /// <summary>Per MLP layer: [F] neurons.</summary>
    public IReadOnlyDictionary<int, long[]> Ffn { get; init; } = new Dictionary<int, long[]>();

    /// <summary>Per Mamba layer: for each of the G groups, [Hg] heads within the group (heads never change group).</summary>
    public IReadOnlyDictionary<int, long[][]> MambaHeads { get; init; } = new Dictionary<int, long[][]>();

    /// <summary>Per attention layer: [nkv] KV heads (each takes its query heads along).</summary>
    public IReadOnlyDictionary<int, long[]> KeyValueHeads { get; init; } = new Dictionary<int, long[]>();

    /// <summary>Per attention layer: for each new KV head position, [r] query heads within that group.</summary>
    public IReadOnlyDictionary<int, long[][]> QueryHeads { get; init; } = new Dictionary<int, long[][]>();

    /// <summary>The permuted tensors (Hugging Face names and layout); unchanged tensors are passed through.</summary>
    public Dictionary<string, Tensor> Apply(NemotronHConfig config, IReadOnlyDictionary<string, Tensor> hf)
    {
        var result = new Dictionary<string, Tensor>(hf, StringComparer.Ordinal);
        void Permute(string name, int dim, long[] order) =>
            result[name] = result[name].index_select(dim, tensor(order, device: result[name].device));

        if (Hidden is not null)
        {
            Check(Hidden, config.HiddenSize, "Hidden");
            Permute(TensorLayout.Embeddings, 1, Hidden);
            Permute(TensorLayout.LmHead, 1, Hidden);
            Permute(TensorLayout.NormF, 0, Hidden);
            for (int layer = 0; layer < config.NumHiddenLayers; layer++)
            {
                foreach (var spec in TensorLayout.LayerTensors(config, layer))
                {
                    // Rows of output projections and norms are the d axis; inputs take d as columns.
                    var suffix = spec.Name[TensorLayout.Layer(layer, "").Length..];
                    if (suffix is "norm.weight" or "mixer.out_proj.weight" or "mixer.o_proj.weight" or "mixer.down_proj.weight")
                    {
                        Permute(spec.Name, 0, Hidden);
                    }
                    else if (suffix is "mixer.in_proj.weight" or "mixer.q_proj.weight" or "mixer.k_proj.weight" or "mixer.v_proj.weight" or "mixer.up_proj.weight")
                    {
                        Permute(spec.Name, 1, Hidden);
                    }
                }
            }
        }

        foreach (var (layer, order) in Ffn)
        {
            RequireType(config, layer, LayerType.Mlp, "Ffn");
            Check(order, config.IntermediateSize, $"Ffn[{layer}]");
            Permute(TensorLayout.Layer(layer, "mixer.up_proj.weight"), 0, order);
            Permute(TensorLayout.Layer(layer, "mixer.down_proj.weight"), 1, order);
        }

        foreach (var (layer, groups) in MambaHeads)
        {
            RequireType(config, layer, LayerType.Mamba, "MambaHeads");
            var heads = MambaHeadOrder(config, groups, layer);
            long inner = config.MambaIntermediateSize, states = 2L * config.NGroups * config.SsmStateSize;
            var channels = Expand(heads, config.MambaHeadDim);
            long[] Identity(long start, long count) => [.. Enumerable.Range(0, (int)count).Select(i => start + i)];
            var inProjRows = channels.Concat(channels.Select(c => inner + c)).Concat(Identity(2 * inner, states))
                .Concat(heads.Select(h => (2 * inner) + states + h)).ToArray();
            var convRows = channels.Concat(Identity(inner, states)).ToArray();
            string Name(string suffix) => TensorLayout.Layer(layer, "mixer." + suffix);
            Permute(Name("in_proj.weight"), 0, inProjRows);
            Permute(Name("conv1d.weight"), 0, convRows);
            if (config.UseConvBias)
            {
                Permute(Name("conv1d.bias"), 0, convRows);
            }

            Permute(Name("A_log"), 0, heads);
            Permute(Name("D"), 0, heads);
            Permute(Name("dt_bias"), 0, heads);
            Permute(Name("norm.weight"), 0, channels);
            Permute(Name("out_proj.weight"), 1, channels);
        }

        foreach (var layer in KeyValueHeads.Keys.Union(QueryHeads.Keys).Distinct())
        {
            RequireType(config, layer, LayerType.Attention, "KeyValueHeads/QueryHeads");
            int kv = config.NumKeyValueHeads, r = config.AttentionHeadsPerGroup;
            var kvOrder = KeyValueHeads.GetValueOrDefault(layer) ?? [.. Enumerable.Range(0, kv).Select(i => (long)i)];
            Check(kvOrder, kv, $"KeyValueHeads[{layer}]");
            var within = QueryHeads.GetValueOrDefault(layer);
            var queryHeads = new List<long>();
            for (int g = 0; g < kv; g++)
            {
                var order = within?[g] ?? [.. Enumerable.Range(0, r).Select(i => (long)i)];
                Check(order, r, $"QueryHeads[{layer}][{g}]");
                queryHeads.AddRange(order.Select(j => (kvOrder[g] * r) + j));
            }

            var qRows = Expand([.. queryHeads], config.HeadDim);
            var kvRows = Expand(kvOrder, config.HeadDim);
            Permute(TensorLayout.Layer(layer, "mixer.q_proj.weight"), 0, qRows);
            Permute(TensorLayout.Layer(layer, "mixer.k_proj.weight"), 0, kvRows);
            Permute(TensorLayout.Layer(layer, "mixer.v_proj.weight"), 0, kvRows);
            Permute(TensorLayout.Layer(layer, "mixer.o_proj.weight"), 1, qRows);
        }

        return result;
    }

    private static long[] MambaHeadOrder(NemotronHConfig config, long[][] groups, int layer)
    {
        int hg = config.MambaHeadsPerGroup;
        if (groups.Length != config.NGroups)
        {
            throw new ArgumentException($"MambaHeads[{layer}] must give an order for each of the {config.NGroups} groups");
        }

        var heads = new List<long>();
        for (int g = 0; g < groups.Length; g++)
        {
            Check(groups[g], hg, $"MambaHeads[{layer}][{g}]");
            heads.AddRange(groups[g].Select(j => ((long)g * hg) + j));
        }

        return [.. heads];
    }

    private static long[] Expand(long[] units, long width) =>
        [.. units.SelectMany(u => Enumerable.Range(0, (int)width).Select(i => (u * width) + i))];

    private static void Check(long[] order, long size, string what)
    {
        if (order.Length != size || !order.Order().SequenceEqual(Enumerable.Range(0, (int)size).Select(i => (long)i)))
        {
            throw new ArgumentException($"ModelPermutation.{what} must be a permutation of 0..{size - 1}");
        }
    }

    private static void RequireType(NemotronHConfig config, int layer, LayerType type, string what)
    {
        if (layer < 0 || layer >= config.NumHiddenLayers || config.LayerTypes[layer] != type)
        {
            throw new ArgumentException($"ModelPermutation.{what}: layer {layer} is not a {type} layer");
        }
    }
}
