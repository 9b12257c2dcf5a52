using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Nestor.Kernels;

/// <summary>
/// RMSNorm (NemotronHRMSNorm): <c>y = w ⊙ x / sqrt(mean(x²) + eps)</c>, computed in fp32.
/// Masked execution divides Σx² by the kept mass (the sum of the hidden-channel mask) instead of the width, so with a
/// hard 0/1 mask over a residual stream whose dropped channels are zero it equals the norm of the sliced model.
/// </summary>
public sealed class RmsNorm : nn.Module
{
#pragma warning disable IDE1006 // parameter names follow the checkpoint's
    private readonly Parameter weight;
#pragma warning restore IDE1006

    public RmsNorm(string name, long size, double eps, ScalarType dtype, Device device) : base(name)
    {
        Eps = eps;
        weight = nn.Parameter(ones(size, dtype: dtype, device: device));
        RegisterComponents();
    }

    public double Eps { get; }

    public Parameter Weight => weight;

    /// <param name="x">[..., d'] activations.</param>
    /// <param name="weight">[d'] the norm weight (a view of <see cref="Weight"/> for a budget).</param>
    /// <param name="eps">epsilon inside the square root.</param>
    /// <param name="keptMass">Σ hidden mask (a scalar tensor), or null to use the width d'.</param>
    public static Tensor Normalize(Tensor x, Tensor weight, double eps, Tensor? keptMass = null)
    {
        var x32 = Fp32.Of(x);
        var squares = x32.square();
        var meanSquare = keptMass is null ? squares.mean([-1], keepdim: true) : squares.sum(-1, keepdim: true) / keptMass;
        var normed = x32 * meanSquare.add_(eps).rsqrt_();
        return weight * (x.dtype == ScalarType.Float32 ? normed : normed.to(x.dtype));
    }
}
