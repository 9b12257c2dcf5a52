using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Nestor.Checkpoint;
using Nestor.Checkpoint.Safetensors;
using TorchSharp;
using static TorchSharp.torch;

namespace Nestor.Kernels;

/// <summary>Moves tensors between libtorch memory and Nestor.Checkpoint's safetensors files, without extra copies.</summary>
public static class TensorIO
{
    public static ScalarType ToScalarType(DType dtype) => dtype switch
    {
        DType.F32 => ScalarType.Float32,
        DType.BF16 => ScalarType.BFloat16,
        DType.F16 => ScalarType.Float16,
        _ => throw new ArgumentOutOfRangeException(nameof(dtype)),
    };

    public static DType ToDType(ScalarType type) => type switch
    {
        ScalarType.Float32 => DType.F32,
        ScalarType.BFloat16 => DType.BF16,
        ScalarType.Float16 => DType.F16,
        _ => throw new ArgumentException($"safetensors checkpoints hold F32, BF16 or F16, not {type}", nameof(type)),
    };

    public static string ToTorchDtype(ScalarType type) => ToDType(type).ToTorchDtype();

    /// <summary>A whole stored tensor, as a new CPU tensor of the stored dtype (read from the memory map).</summary>
    public static Tensor Read(TensorStore store, string name)
    {
        var info = store.Info(name);
        var result = empty([.. info.Shape], ToScalarType(info.DType));
        store.CopyTo(name, Pointer(result), info.ByteLength);
        return result;
    }

    /// <summary>The kept part of a stored tensor (a slice plan entry), read by partial reads: only kept bytes are touched.</summary>
    public static Tensor ReadSlice(TensorStore store, TensorSlice slice)
    {
        var info = store.Info(slice.SourceName);
        var result = empty([.. slice.TargetShape], ToScalarType(info.DType));
        store.CopyRangesTo(slice.SourceName, slice.Axes, Pointer(result), slice.ElementCount * info.DType.Size());
        return result;
    }

    /// <summary>A tensor for the safetensors writer; the data is streamed from a contiguous CPU copy when written.</summary>
    public static TensorToWrite ToWrite(string name, Tensor tensor, ScalarType? dtype = null)
    {
        var type = dtype ?? tensor.dtype;
        return new TensorToWrite(name, ToDType(type), [.. tensor.shape], stream =>
        {
            using var cpu = tensor.detach().to(type, CPU).contiguous();
            WriteBytes(cpu, stream);
        });
    }

    /// <summary>Writes a contiguous CPU tensor's bytes (little-endian, row-major).</summary>
    public static void WriteBytes(Tensor tensor, Stream stream)
    {
        if (!tensor.is_contiguous() || tensor.device_type != DeviceType.CPU)
        {
            throw new ArgumentException("the tensor must be contiguous and on the CPU", nameof(tensor));
        }

        long total = tensor.numel() * tensor.element_size();
        const long chunk = 1 << 30;
        for (long offset = 0; offset < total; offset += chunk)
        {
            long length = Math.Min(chunk, total - offset);
            unsafe
            {
                stream.Write(new ReadOnlySpan<byte>((byte*)Pointer(tensor) + offset, (int)length));
            }
        }
    }

    /// <summary>The address of a contiguous CPU tensor's first element.</summary>
    public static IntPtr Pointer(Tensor tensor)
    {
        if (!tensor.is_contiguous() || tensor.device_type != DeviceType.CPU)
        {
            throw new ArgumentException("the tensor must be contiguous and on the CPU", nameof(tensor));
        }

        if (tensor.numel() == 0)
        {
            return IntPtr.Zero;
        }

        return TensorAddress.Bytes(tensor);
    }
}
