using Nestor.Checkpoint;
using TorchSharp;
using static TorchSharp.torch;

namespace Nestor.Kernels;

/// <summary>One NemotronH layer: <c>h + mixer(RMSNorm(h))</c> with a Mamba-2, attention or MLP mixer.</summary>
public sealed class NemotronHBlock : nn.Module
{
#pragma warning disable IDE1006 // module names follow the checkpoint's
    private readonly RmsNorm norm;
    private readonly nn.Module mixer;
#pragma warning restore IDE1006

    public NemotronHBlock(string name, NemotronHConfig config, int layer, ScalarType dtype, Device device) : base(name)
    {
        Index = layer;
        Type = config.LayerTypes[layer];
        norm = new RmsNorm("norm", config.HiddenSize, config.LayerNormEpsilon, dtype, device);
        mixer = Type switch
        {
            LayerType.Mamba => new Mamba2Mixer("mixer", config, dtype, device),
            LayerType.Attention => new GroupedQueryAttention("mixer", config, dtype, device),
            _ => new Mlp("mixer", config, dtype, device),
        };
        RegisterComponents();
    }

    public int Index { get; }

    public LayerType Type { get; }

    public RmsNorm Norm => norm;

    public nn.Module Mixer => mixer;

    public Mamba2Mixer Mamba => (Mamba2Mixer)mixer;

    public GroupedQueryAttention Attention => (GroupedQueryAttention)mixer;

    public Mlp Mlp => (Mlp)mixer;

    public LayerView View(ElasticBudget budget, bool detached = false) => new(Index, Type, Prefix.Of(Prefix.Source(norm.Weight, detached), budget.HiddenSize), Type switch
    {
        LayerType.Mamba => Mamba.View(budget.HiddenSize, budget.MambaHeadsPerGroup, detached),
        LayerType.Attention => Attention.View(budget.HiddenSize, budget.NumKeyValueHeads, budget.AttentionHeadsPerGroup, detached),
        _ => Mlp.View(budget.HiddenSize, budget.IntermediateSize, detached),
    });

    /// <summary>The mixer's output for a whole sequence (no residual), with the masks of masked execution.</summary>
    /// <param name="w">the layer's weights for the budget.</param>
    /// <param name="x">[b, L, d'] normed hidden states.</param>
    /// <param name="masks">masks, or null.</param>
    /// <param name="config">the stored config (for the attention head mask).</param>
    public Tensor MixSequence(LayerView w, Tensor x, ElasticMasks? masks, NemotronHConfig config) => w.Mixer switch
    {
        MambaView m => Mamba.Forward(m, x, headMask: masks?.MambaHeads).Output,
        AttentionView a => Attention.Forward(a, x, masks?.AttentionHeads(config)),
        MlpView f => Mlp.Forward(f, x, masks?.Ffn),
        _ => throw new InvalidOperationException($"unknown mixer view {w.Mixer.GetType().Name}"),
    };
}
