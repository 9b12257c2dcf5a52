using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using TorchSharp;
using static TorchSharp.torch;

namespace Nestor.Kernels;

/// <summary>The address of a CPU tensor's first element, for kernels that read libtorch memory directly.</summary>
internal static class TensorAddress
{
    /// <summary>The first element of <paramref name="tensor"/>, which may be a strided view into a larger storage (fp32 only).</summary>
    public static unsafe float* Of(Tensor tensor)
    {
        if (tensor.device_type != DeviceType.CPU || tensor.dtype != ScalarType.Float32)
        {
            throw new ArgumentException($"expected an fp32 CPU tensor, got {tensor.dtype} on {tensor.device}", nameof(tensor));
        }

        return (float*)Bytes(tensor);
    }

    /// <summary>The first element of a contiguous, non-empty fp32 CPU tensor (the caller has checked; no new tensor is made).</summary>
    public static unsafe float* OfContiguous(Tensor tensor) =>
        (float*)Unsafe.AsPointer(ref MemoryMarshal.GetReference(tensor.bytes));

    /// <summary>The first byte of any non-empty CPU tensor.</summary>
    public static unsafe IntPtr Bytes(Tensor tensor)
    {
        using var first = tensor.as_strided([1], [1], tensor.storage_offset());
        return (IntPtr)Unsafe.AsPointer(ref MemoryMarshal.GetReference(first.bytes));
    }
}
