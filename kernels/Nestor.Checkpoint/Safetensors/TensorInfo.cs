namespace Nestor.Checkpoint.Safetensors;

/// <summary>One tensor's entry in a safetensors header. Offsets are relative to the start of the data section.</summary>
public sealed record TensorInfo(string Name, DType DType, IReadOnlyList<long> Shape, long Begin, long End)
{
    public long ElementCount => Shape.Aggregate(1L, (a, b) => a * b);

    public long ByteLength => End - Begin;

    public string ShapeText => $"[{string.Join(", ", Shape)}]";
}
