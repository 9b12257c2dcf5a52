namespace Nestor.Checkpoint.Safetensors;

/// <summary>Copies the sub-tensor selected by kept index ranges per axis out of a row-major tensor.</summary>
internal static unsafe class RangeCopy
{
    public static long SelectedBytes(TensorInfo info, IReadOnlyList<IReadOnlyList<IndexRange>> axes, string filePath)
    {
        if (axes.Count != info.Shape.Count)
        {
            throw new CheckpointFormatException(filePath, $"tensor '{info.Name}' has {info.Shape.Count} axes, {axes.Count} range lists given");
        }

        long elements = 1;
        for (int axis = 0; axis < axes.Count; axis++)
        {
            long size = info.Shape[axis];
            foreach (var r in axes[axis])
            {
                if (r.Start < 0 || r.Length < 0 || r.End > size)
                {
                    throw new CheckpointFormatException(filePath, $"tensor '{info.Name}' {info.ShapeText}: range {r} is outside axis {axis} (size {size})");
                }
            }

            elements *= IndexRange.Total(axes[axis]);
        }

        return elements * info.DType.Size();
    }

    public static void Copy(byte* source, IReadOnlyList<long> shape, int elementSize, IReadOnlyList<IReadOnlyList<IndexRange>> axes, byte* destination)
    {
        int rank = shape.Count;
        if (rank == 0)
        {
            Buffer.MemoryCopy(source, destination, elementSize, elementSize);
            return;
        }

        var strides = new long[rank];
        strides[rank - 1] = elementSize;
        for (int i = rank - 2; i >= 0; i--)
        {
            strides[i] = strides[i + 1] * shape[i + 1];
        }

        // Trailing axes kept whole are contiguous with the axis before them: copy a range of that axis in one go.
        int last = rank - 1;
        while (last > 0 && axes[last] is [{ Start: 0 } whole] && whole.Length == shape[last])
        {
            last--;
        }

        byte* written = destination;
        Recurse(source, 0, last, strides, axes, ref written);
    }

    private static void Recurse(byte* source, int axis, int last, long[] strides, IReadOnlyList<IReadOnlyList<IndexRange>> axes, ref byte* written)
    {
        foreach (var r in axes[axis])
        {
            if (axis == last)
            {
                long bytes = r.Length * strides[axis];
                Buffer.MemoryCopy(source + (r.Start * strides[axis]), written, bytes, bytes);
                written += bytes;
                continue;
            }

            for (long i = r.Start; i < r.End; i++)
            {
                Recurse(source + (i * strides[axis]), axis + 1, last, strides, axes, ref written);
            }
        }
    }
}
