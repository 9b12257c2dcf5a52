using TorchSharp;
using static TorchSharp.torch;

namespace Nestor.Kernels;

/// <summary>
/// The Mamba-2 output norm (Zamba2RMSNormGated, norm_before_gate=False): <c>g = y ⊙ silu(z)</c>, then RMS-normalised
/// within each of the G groups, then times the weight. Computed in fp32.
/// </summary>
/// <remarks>
/// Nestor keeps Mamba heads rank-major (head i = rank·G + group), so y is shaped [..., k, G, P] and a group is the
/// slice [..., :, g, :]: its mean square runs over the k kept heads and the P channels of each. Masked execution
/// divides by P·Σmask instead of P·k (the kept mass), which equals the sliced model for a hard mask.
/// </remarks>
public static class GatedRmsNorm
{
    /// <param name="y">[..., k, G, P] scan output (masked heads already zero).</param>
    /// <param name="z">[..., k, G, P] gate.</param>
    /// <param name="weight">[k, G, P] norm weight.</param>
    /// <param name="eps">epsilon inside the square root.</param>
    /// <param name="keptHeads">Σ head mask per group (scalar tensor), or null for k.</param>
    /// <returns>[..., k, G, P] in fp32.</returns>
    public static Tensor Apply(Tensor y, Tensor z, Tensor weight, double eps, Tensor? keptHeads = null)
    {
        var gated = Fp32.Of(y) * nn.functional.silu(Fp32.Of(z));
        int rank = (int)gated.dim();
        long[] headAndChannel = [rank - 3, rank - 1];
        var squares = gated.square();
        var meanSquare = keptHeads is null
            ? squares.mean(headAndChannel, keepdim: true)
            : squares.sum(headAndChannel, keepdim: true) / (keptHeads * gated.shape[^1]);
        return gated * meanSquare.add_(eps).rsqrt_() * Fp32.Of(weight);
    }
}
