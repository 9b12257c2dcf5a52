using Nestor.Checkpoint;
using Nestor.Checkpoint.Safetensors;
using static TorchSharp.torch;

namespace Nestor.Kernels;

/// <summary>
/// Masks for masked (training) execution over the full weights: one tensor per axis, each may be soft and require
/// grad (a router's Gumbel-softmax with straight-through). A null axis is all ones. Activations are multiplied by
/// the masks and norms divide by the kept mass, so hard 0/1 masks give exactly the sliced model's logits.
/// </summary>
/// <remarks>
/// Where each mask acts: <see cref="Hidden"/> on the embeddings, every mixer output and (as kept mass) every RMSNorm;
/// <see cref="Ffn"/> on relu(up(x))²; <see cref="MambaHeads"/> on each head's scan output (and as kept mass in the
/// gated norm); <see cref="KeyValueHeads"/> × <see cref="QueryHeads"/> on each query head's attention output;
/// <see cref="Layers"/> on each layer's residual update (0 = the layer is skipped: h ← h).
/// </remarks>
public sealed class ElasticMasks
{
    /// <summary>[d] embedding channels.</summary>
    public Tensor? Hidden { get; init; }

    /// <summary>[F] FFN neurons, shared by every MLP layer.</summary>
    public Tensor? Ffn { get; init; }

    /// <summary>[Hg] Mamba heads by rank within a group, the same for every group (group-aware).</summary>
    public Tensor? MambaHeads { get; init; }

    /// <summary>[nkv] KV heads.</summary>
    public Tensor? KeyValueHeads { get; init; }

    /// <summary>[r] query heads by rank within a KV group (r = num_attention_heads / num_key_value_heads).</summary>
    public Tensor? QueryHeads { get; init; }

    /// <summary>[num_hidden_layers] layer gates.</summary>
    public Tensor? Layers { get; init; }

    /// <summary>Hard 0/1 masks that keep exactly what the budget keeps (the slice plan's ranges).</summary>
    public static ElasticMasks FromBudget(NemotronHConfig config, ElasticBudget budget, ScalarType dtype = ScalarType.Float32, Device? device = null)
    {
        var plan = SlicePlan.Create(config, budget);
        Tensor Mask(long size, IEnumerable<IndexRange> kept)
        {
            var values = new float[size];
            foreach (var r in kept)
            {
                // Ranges of group 0 may run on into the next group (merged where they touch): clip to the axis.
                Array.Fill(values, 1f, (int)r.Start, (int)(Math.Min(r.End, size) - r.Start));
            }

            return tensor(values, dtype: dtype, device: device);
        }

        int hg = config.MambaHeadsPerGroup, r = config.AttentionHeadsPerGroup;
        return new ElasticMasks
        {
            Hidden = Mask(config.HiddenSize, plan.Hidden),
            Ffn = Mask(config.IntermediateSize, plan.Ffn),
            // The ranks kept in group 0 are the ranks kept in every group.
            MambaHeads = Mask(hg, plan.MambaHeads.Where(x => x.Start < hg)),
            KeyValueHeads = Mask(config.NumKeyValueHeads, plan.AttentionKeyValueHeads),
            QueryHeads = Mask(r, plan.AttentionQueryHeads.Where(x => x.Start < r)),
            Layers = Mask(config.NumHiddenLayers, plan.KeptLayers.Select(l => new IndexRange(l, 1))),
        };
    }

    /// <summary>[nkv·r] mask per query head (Hugging Face order g·r + j), or null.</summary>
    internal Tensor? AttentionHeads(NemotronHConfig config)
    {
        if (KeyValueHeads is null && QueryHeads is null)
        {
            return null;
        }

        int kv = config.NumKeyValueHeads, r = config.AttentionHeadsPerGroup;
        var byGroup = KeyValueHeads?.view(kv, 1) ?? ones(kv, 1, dtype: QueryHeads!.dtype, device: QueryHeads.device);
        var byRank = QueryHeads?.view(1, r) ?? ones(1, r, dtype: byGroup.dtype, device: byGroup.device);
        return (byGroup * byRank).flatten();
    }

    internal void Check(NemotronHConfig config)
    {
        static void Size(Tensor? mask, long expected, string axis)
        {
            if (mask is not null && (mask.dim() != 1 || mask.shape[0] != expected))
            {
                throw new ArgumentException($"ElasticMasks.{axis} must have shape [{expected}], got [{string.Join(", ", mask.shape)}]");
            }
        }

        Size(Hidden, config.HiddenSize, nameof(Hidden));
        Size(Ffn, config.IntermediateSize, nameof(Ffn));
        Size(MambaHeads, config.MambaHeadsPerGroup, nameof(MambaHeads));
        Size(KeyValueHeads, config.NumKeyValueHeads, nameof(KeyValueHeads));
        Size(QueryHeads, config.AttentionHeadsPerGroup, nameof(QueryHeads));
        Size(Layers, config.NumHiddenLayers, nameof(Layers));
    }
}
