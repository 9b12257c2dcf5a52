using static TorchSharp.torch;

namespace Nestor.Kernels;

/// <summary>
/// The slots of one step. Consecutive ascending slots are addressed as a narrow view of the pool (in-place updates,
/// no copies); any other set is gathered with index_select and scattered back with index_copy_.
/// </summary>
internal sealed class SlotBatch
{
    public SlotBatch(IReadOnlyList<int> slots, Device device)
    {
        Count = slots.Count;
        Start = slots[0];
        IsRange = slots.Select((s, i) => s == Start + i).All(x => x);
        Index = tensor(slots.Select(s => (long)s).ToArray(), device: device);
    }

    public int Count { get; }

    public int Start { get; }

    public bool IsRange { get; }

    /// <summary>[b] slot indices.</summary>
    public Tensor Index { get; }

    /// <summary>The batch's rows of a pool tensor: a view for a range of slots, otherwise a gathered copy.</summary>
    public Tensor Rows(Tensor pool) => IsRange ? pool.narrow(0, Start, Count) : pool.index_select(0, Index);

    /// <summary>Writes updated rows back to the pool (nothing to do for a view, which was updated in place).</summary>
    public void Store(Tensor pool, Tensor rows, Tensor updated)
    {
        if (IsRange)
        {
            if (!ReferenceEquals(rows, updated))
            {
                rows.copy_(updated);
            }
        }
        else
        {
            pool.index_copy_(0, Index, updated);
        }
    }
}
