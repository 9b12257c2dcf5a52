namespace Nestor.Checkpoint;

/// <summary>
/// Closed-form parameter counts, from the config and a budget's sizes alone (nothing is allocated). Kept separate
/// from <see cref="TensorLayout"/> on purpose: tests check that the two agree.
/// </summary>
public static class ParameterCount
{
    /// <summary>Every parameter the config stores.</summary>
    public static long Of(NemotronHConfig config) => Of(config, ElasticBudget.Full(config));

    /// <summary>The parameters a budget keeps (= the element count of its sliced checkpoint).</summary>
    public static long Of(NemotronHConfig config, ElasticBudget budget)
    {
        long d = budget.HiddenSize;
        long v = config.VocabSize;
        long perLayerNorm = d;

        // Mamba-2 mixer with H' = G·k kept heads: I' = H'·P, conv' = I' + 2·G·N.
        long heads = (long)config.NGroups * budget.MambaHeadsPerGroup;
        long inner = heads * config.MambaHeadDim;
        long conv = inner + (2L * config.NGroups * config.SsmStateSize);
        long mamba = ((inner + conv + heads) * d)      // in_proj: z, xBC, dt rows
            + (conv * config.ConvKernel)                // depthwise conv1d weight
            + (config.UseConvBias ? conv : 0)           // conv1d bias
            + (3 * heads)                               // A_log, D, dt_bias
            + inner                                     // gated RMSNorm weight
            + (d * inner);                              // out_proj

        // Attention: q and o over the kept query heads, k and v over the kept KV heads.
        long hd = config.HeadDim;
        long attention = (2L * budget.NumAttentionHeads * hd * d) + (2L * budget.NumKeyValueHeads * hd * d);

        // relu² MLP: up and down.
        long mlp = 2L * budget.IntermediateSize * d;

        long layers = 0;
        foreach (var i in budget.Layers)
        {
            layers += perLayerNorm + config.LayerTypes[i] switch
            {
                LayerType.Mamba => mamba,
                LayerType.Attention => attention,
                _ => mlp,
            };
        }

        return (2 * v * d) + d + layers; // embeddings + lm_head, norm_f, layers
    }
}
