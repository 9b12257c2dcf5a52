namespace Nestor.Checkpoint.Safetensors;

/// <summary>
/// A tensor for <see cref="SafetensorsWriter"/>: name, dtype, shape, and a callback that writes exactly
/// <see cref="ByteLength"/> bytes of row-major little-endian data. The callback lets callers stream large tensors
/// (from torch memory or a memory-mapped source) without an intermediate array.
/// </summary>
public sealed record TensorToWrite(string Name, DType DType, IReadOnlyList<long> Shape, Action<Stream> WriteData)
{
    public long ByteLength => Shape.Aggregate(1L, (a, b) => a * b) * DType.Size();

    public static TensorToWrite FromBytes(string name, DType dtype, IReadOnlyList<long> shape, byte[] data)
    {
        var tensor = new TensorToWrite(name, dtype, shape, s => s.Write(data));
        return tensor.ByteLength == data.Length
            ? tensor
            : throw new ArgumentException($"tensor '{name}': shape [{string.Join(", ", shape)}] of {dtype} needs {tensor.ByteLength} bytes, got {data.Length}");
    }
}
