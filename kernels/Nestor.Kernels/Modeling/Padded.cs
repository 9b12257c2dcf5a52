using static TorchSharp.torch;

namespace Nestor.Kernels;

/// <summary>
/// Between packed token rows [T, ...] (the real tokens of a ragged batch, sequence by sequence) and the right-padded
/// grid [b, L, ...] that the sequence mixers (conv, scan, attention) need. Projections and the MLP run packed, so no
/// work is spent on padding.
/// </summary>
internal static class Padded
{
    /// <summary>[T, ...] → [b, L, ...], zeros at padded positions. Null <paramref name="positions"/>: no padding (T = b·L).</summary>
    public static Tensor Scatter(Tensor packed, Tensor? positions, long batch, long length)
    {
        long[] shape = packed.shape;
        shape[0] = batch * length;
        var grid = positions is null ? packed : zeros(shape, packed.dtype, packed.device).index_copy_(0, positions, packed);
        return grid.view([batch, length, .. shape[1..]]);
    }

    /// <summary>[b, L, ...] → [T, ...].</summary>
    public static Tensor Gather(Tensor grid, Tensor? positions) =>
        positions is null ? grid.flatten(0, 1) : grid.flatten(0, 1).index_select(0, positions);
}
