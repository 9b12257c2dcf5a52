using Nestor.Checkpoint;
using Nestor.Kernels;
using static TorchSharp.torch;

namespace Nestor.Training.Elastic;

/// <summary>
/// Activation-based importance on a calibration set (forward passes only), as in the Nemotron Elastic recipe:
/// embedding channels by Σ|RMSNorm(X)| over every layer input and the final norm; FFN neurons by Σ|X W_upᵀ|; Mamba
/// heads by the norm of their channels' Σ|x-part of in_proj(X)|, ranked within their group; attention heads by
/// Σ|attention output| per query head (KV heads by the sum over their query heads); layers by the normalised MSE
/// of the logits with the layer removed, Σ(z − z₋ⱼ)² / Σz².
/// Head indices are Hugging Face's (Mamba: group·Hg + rank; attention: kv·r + j).
/// </summary>
public sealed class ImportanceScores
{
    public required double[] Hidden { get; init; }

    public required Dictionary<int, double[]> Ffn { get; init; }

    public required Dictionary<int, double[]> MambaHeads { get; init; }

    public required Dictionary<int, double[]> AttentionHeads { get; init; }

    /// <summary>Per layer: the normalised MSE of the logits when it is removed (higher: more important).</summary>
    public required double[] Layers { get; init; }

    /// <summary>Every layer, most important first (ties: lower index first).</summary>
    public IReadOnlyList<int> LayerRanking => Descending(Layers).Select(i => (int)i).ToArray();

    /// <summary>The reordering that sorts every axis by importance, so every budget keeps a prefix.</summary>
    public ModelPermutation ToPermutation(NemotronHConfig config)
    {
        int hg = config.MambaHeadsPerGroup, r = config.AttentionHeadsPerGroup, kv = config.NumKeyValueHeads;
        var mamba = MambaHeads.ToDictionary(p => p.Key, p => Enumerable.Range(0, config.NGroups)
            .Select(g => Descending(p.Value.Skip(g * hg).Take(hg).ToArray())).ToArray());
        var kvOrder = AttentionHeads.ToDictionary(p => p.Key, p => Descending(Enumerable.Range(0, kv).Select(g => p.Value.Skip(g * r).Take(r).Sum()).ToArray()));
        var queries = AttentionHeads.ToDictionary(p => p.Key, p => kvOrder[p.Key].Select(g => Descending(p.Value.Skip((int)g * r).Take(r).ToArray())).ToArray());
        return new ModelPermutation
        {
            Hidden = Descending(Hidden),
            Ffn = Ffn.ToDictionary(p => p.Key, p => Descending(p.Value)),
            MambaHeads = mamba,
            KeyValueHeads = kvOrder,
            QueryHeads = queries,
        };
    }

    public static ImportanceScores Estimate(NemotronHForCausalLM model, IReadOnlyList<Tensor> batches)
    {
        using var noGrad = no_grad();
        var config = model.Config;
        var view = model.View(ElasticBudget.Full(config), detached: true);
        var hidden = zeros(config.HiddenSize, dtype: ScalarType.Float64);
        var ffn = new Dictionary<int, Tensor>();
        var mamba = new Dictionary<int, Tensor>();
        var attention = new Dictionary<int, Tensor>();
        var removedError = new double[config.NumHiddenLayers];
        double logitsMass = 0;
        int gn2 = 2 * config.NGroups * config.SsmStateSize;
        foreach (var ids in batches)
        {
            using var scope = NewDisposeScope();
            long batch = ids.shape[0], length = ids.shape[1];
            var h = view.Embeddings.index_select(0, ids.flatten()).view(batch, length, -1);
            foreach (var layer in view.Layers)
            {
                var block = model.Layers[layer.Layer];
                var x = RmsNorm.Normalize(h, layer.NormWeight, block.Norm.Eps);
                hidden.add_(Magnitude(x));
                switch (layer.Mixer)
                {
                    case MlpView f:
                        Accumulate(ffn, layer.Layer, Magnitude(nn.functional.linear(x, f.Up)));
                        break;
                    case MambaView m:
                        var channels = Magnitude(nn.functional.linear(x, m.InProjBcx).narrow(-1, gn2, config.MambaIntermediateSize));
                        var execution = channels.view(config.MambaNumHeads, config.MambaHeadDim).norm(1, keepdim: false, p: 2); // [H] rank-major
                        // execution head rank·G + group → Hugging Face head group·Hg + rank
                        var hf = execution.view(config.MambaHeadsPerGroup, config.NGroups).t().contiguous().flatten();
                        Accumulate(mamba, layer.Layer, hf);
                        break;
                    case AttentionView a:
                        var (q, k, v) = block.Attention.Project(a, x);
                        var causal = ones(length, length, dtype: ScalarType.Bool, device: x.device).tril();
                        var attended = block.Attention.Attend(q, k, v, causal);        // [b, L, nkv, r, hd]
                        Accumulate(attention, layer.Layer, attended.abs().sum([0, 1, 4]).flatten().to_type(ScalarType.Float64));
                        break;
                }

                h = h + block.MixSequence(layer, x, null, config);
            }

            hidden.add_(Magnitude(RmsNorm.Normalize(h, view.NormF, model.NormF.Eps)));
            var full = nn.functional.linear(RmsNorm.Normalize(h, view.NormF, model.NormF.Eps), view.LmHead);
            logitsMass += full.square().sum().item<float>();
            for (int j = 0; j < config.NumHiddenLayers; j++)
            {
                var gates = ones(config.NumHiddenLayers, device: ids.device);
                gates[j] = 0;
                var removed = model.Forward(ids, view, new ElasticMasks { Layers = gates });
                removedError[j] += (full - removed).square().sum().item<float>();
            }

            foreach (var t in ffn.Values.Concat(mamba.Values).Concat(attention.Values).Append(hidden))
            {
                t.DetachFromDisposeScope();
            }
        }

        static double[] Values(Tensor t) => t.to_type(ScalarType.Float64).data<double>().ToArray();
        return new ImportanceScores
        {
            Hidden = Values(hidden),
            Ffn = ffn.ToDictionary(p => p.Key, p => Values(p.Value)),
            MambaHeads = mamba.ToDictionary(p => p.Key, p => Values(p.Value)),
            AttentionHeads = attention.ToDictionary(p => p.Key, p => Values(p.Value)),
            Layers = [.. removedError.Select(e => e / Math.Max(logitsMass, 1e-30))],
        };
    }

    private static Tensor Magnitude(Tensor x) => x.abs().sum([0, 1]).to_type(ScalarType.Float64);

    private static void Accumulate(Dictionary<int, Tensor> sums, int layer, Tensor value)
    {
        if (sums.TryGetValue(layer, out var sum))
        {
            sum.add_(value);
        }
        else
        {
            sums[layer] = value.clone();
        }
    }

    /// <summary>Indices by descending score, ties by ascending index (deterministic).</summary>
    public static long[] Descending(double[] scores) =>
        [.. Enumerable.Range(0, scores.Length).OrderByDescending(i => scores[i]).ThenBy(i => i).Select(i => (long)i)];
}
