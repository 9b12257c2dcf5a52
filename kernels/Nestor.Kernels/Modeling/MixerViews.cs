using Nestor.Checkpoint;
using static TorchSharp.torch;

namespace Nestor.Kernels;

/// <summary>The weights one layer's mixer uses for a budget: views of the stored parameters (no copies).</summary>
public abstract record MixerView;

/// <summary>Mamba-2 weights for k kept heads per group (execution layout, see <see cref="Mamba2Mixer"/>).</summary>
public sealed record MambaView(
    Tensor InProjBcx,   // [2GN + kGP, d']
    Tensor InProjZ,     // [kGP, d']
    Tensor InProjDt,    // [kG, d']
    Tensor ConvWeight,  // [2GN + kGP, K]
    Tensor? ConvBias,   // [2GN + kGP]
    Tensor ALog,        // [kG]
    Tensor D,           // [kG]
    Tensor DtBias,      // [kG]
    Tensor NormWeight,  // [kGP]
    Tensor OutProj,     // [d', kGP]
    int HeadsPerGroup) : MixerView
{
    /// <summary>fp32 constants of the decode step, derived once per prepared view (serving only).</summary>
    internal MambaStepConstants? StepConstants { get; set; }
}

/// <summary>What every decode step of a Mamba view needs in fp32 and in step layout, computed once.</summary>
internal sealed class MambaStepConstants
{
    public MambaStepConstants(MambaView w, int groups, int headDim)
    {
        using var noGrad = no_grad();
        int k = w.HeadsPerGroup;
        A = (-Fp32.Of(w.ALog).exp()).view(k, groups).detach().DetachFromDisposeScope();
        D = Fp32.Of(w.D).view(k, groups, 1).expand(k, groups, headDim).contiguous().detach().DetachFromDisposeScope();
        DtBias = Fp32.Of(w.DtBias).detach().contiguous().DetachFromDisposeScope();
        ConvWeightT = w.ConvWeight.t().contiguous().detach().DetachFromDisposeScope();
    }

    public Tensor A { get; }            // [k, G]

    public Tensor D { get; }            // [k, G, P]

    public Tensor DtBias { get; }       // [kG]

    public Tensor ConvWeightT { get; }  // [K, C']
}

/// <summary>
/// Attention weights for the first <c>KeyValueHeads</c> KV heads and the first <c>HeadsPerGroup</c> query heads of
/// each. Q and O are views when whole KV groups are kept; when query heads within groups are cut they are compact
/// copies made once when the budget is prepared (attention is a few percent of the parameters).
/// </summary>
public sealed record AttentionView(
    Tensor Q,           // [nkv'·r'·hd, d']
    Tensor K,           // [nkv'·hd, d']
    Tensor V,           // [nkv'·hd, d']
    Tensor O,           // [d', nkv'·r'·hd]
    int KeyValueHeads,
    int HeadsPerGroup) : MixerView;

/// <summary>MLP weights for the first F' neurons.</summary>
public sealed record MlpView(Tensor Up /* [F', d'] */, Tensor Down /* [d', F'] */) : MixerView;

/// <summary>One kept layer: its index in the stored model, its pre-norm weight and its mixer's weights.</summary>
public sealed record LayerView(int Layer, LayerType Type, Tensor NormWeight, MixerView Mixer);

/// <summary>
/// Everything a forward pass of one budget reads: prefix views of the stored parameters. Serving prepares one per
/// budget at load (see <see cref="NemotronHForCausalLM.Prepared"/>), so switching budgets copies no weights.
/// </summary>
public sealed class BudgetView
{
    internal BudgetView(ElasticBudget budget, Tensor embeddings, IReadOnlyList<LayerView> layers, Tensor normF, Tensor lmHead)
    {
        Budget = budget;
        Embeddings = embeddings;
        Layers = layers;
        NormF = normF;
        LmHead = lmHead;
    }

    public ElasticBudget Budget { get; }

    public string Name => Budget.Name;

    /// <summary>[V, d'].</summary>
    public Tensor Embeddings { get; }

    public IReadOnlyList<LayerView> Layers { get; }

    /// <summary>[d'].</summary>
    public Tensor NormF { get; }

    /// <summary>[V, d'].</summary>
    public Tensor LmHead { get; }
}
