using static TorchSharp.torch;

namespace Nestor.Kernels;

internal static class Fp32
{
    /// <summary>The tensor in fp32 (itself when it already is: no extra libtorch call).</summary>
    public static Tensor Of(Tensor t) => t.dtype == ScalarType.Float32 ? t : t.to(ScalarType.Float32);
}
