using Nestor.Checkpoint;
using static TorchSharp.torch;

namespace Nestor.Kernels;

/// <summary>
/// A pool of per-sequence decoding caches ("slots") for one model, covering every budget. For each Mamba layer: the
/// last K−1 conv inputs [slots, K−1, 2GN + I] and the SSM state [slots, Hg, G, P, N] (fp32); for each attention
/// layer: keys and values [slots, capacity, nkv, hd]. A budget uses a prefix of the channel/head axes
/// (the execution layout makes them prefixes), so one pool serves all budgets.
/// </summary>
/// <remarks>
/// A sequence owns one slot from <see cref="Allocate"/> to <see cref="Release"/> and is bound to the budget it was
/// allocated for (its cache holds that budget's activations). Any subset of slots, in any order, can form a batch at
/// any step, so sequences join and leave between steps: a step works in place on the pool when its slots are
/// consecutive and ascending, and otherwise gathers the batch's states and scatters them back. The recurrent states
/// are allocated up front; the attention caches start with room for <see cref="Capacity"/> positions and double (up
/// to <see cref="MaxSequenceLength"/>) when a step needs more, so their memory follows the longest sequence served
/// rather than the longest allowed. Not thread-safe: one engine thread drives a cache.
/// </remarks>
public sealed class InferenceCache : IDisposable
{
    private readonly Tensor?[] _conv, _ssm, _keys, _values;
    private readonly int[] _lengths;
    private readonly string?[] _budget;
    private readonly SortedSet<int> _free;

    /// <summary>Positions the attention caches hold at first, unless the maximum is smaller.</summary>
    public const int DefaultInitialCapacity = 256;

    internal InferenceCache(NemotronHForCausalLM model, int slots, int maxSequenceLength, int initialCapacity = DefaultInitialCapacity)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(slots, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxSequenceLength, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(initialCapacity, 1);
        var config = model.Config;
        Slots = slots;
        MaxSequenceLength = maxSequenceLength;
        Capacity = Math.Min(initialCapacity, maxSequenceLength);
        int count = config.NumHiddenLayers;
        _conv = new Tensor?[count];
        _ssm = new Tensor?[count];
        _keys = new Tensor?[count];
        _values = new Tensor?[count];
        for (int i = 0; i < count; i++)
        {
            switch (config.LayerTypes[i])
            {
                case LayerType.Mamba:
                    _conv[i] = zeros([slots, config.ConvKernel - 1, config.MambaConvDim], model.DType, model.Device);
                    _ssm[i] = zeros([slots, config.MambaHeadsPerGroup, config.NGroups, config.MambaHeadDim, config.SsmStateSize], ScalarType.Float32, model.Device);
                    break;
                case LayerType.Attention:
                    _keys[i] = zeros([slots, Capacity, config.NumKeyValueHeads, config.HeadDim], model.DType, model.Device);
                    _values[i] = zeros([slots, Capacity, config.NumKeyValueHeads, config.HeadDim], model.DType, model.Device);
                    break;
            }
        }

        _lengths = new int[slots];
        _budget = new string?[slots];
        _free = [.. Enumerable.Range(0, slots)];
    }

    public int Slots { get; }

    public int MaxSequenceLength { get; }

    /// <summary>Positions the attention caches hold now (at most <see cref="MaxSequenceLength"/>).</summary>
    public int Capacity { get; private set; }

    public int FreeSlots => _free.Count;

    /// <summary>Bytes held by the pool.</summary>
    public long Bytes => new[] { _conv, _ssm, _keys, _values }.SelectMany(a => a).Sum(t => t is null ? 0 : t.numel() * t.element_size());

    /// <summary>Takes a free slot (the lowest) for a new sequence of <paramref name="budget"/>, with an empty cache.</summary>
    public int Allocate(string budget) => Allocate(budget, 0, Slots);

    /// <summary>Takes the lowest free slot among <paramref name="count"/> slots from <paramref name="first"/> (a budget's block).</summary>
    public int Allocate(string budget, int first, int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(first);
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(first + count, Slots);
        var free = _free.GetViewBetween(first, first + count - 1);
        if (free.Count == 0)
        {
            throw new InvalidOperationException(count == Slots ? $"all {Slots} cache slots are in use" : $"all {count} cache slots from {first} are in use");
        }

        int slot = free.Min;
        _free.Remove(slot);
        _lengths[slot] = 0;
        _budget[slot] = budget;
        using var noGrad = no_grad();
        foreach (var t in _conv.Concat(_ssm))
        {
            t?[slot].zero_();
        }

        return slot;
    }

    /// <summary>Returns a slot to the pool.</summary>
    public void Release(int slot)
    {
        CheckAllocated(slot);
        _budget[slot] = null;
        _free.Add(slot);
    }

    /// <summary>
    /// Moves the sequence in slot <paramref name="from"/> to the free slot <paramref name="to"/>: its conv and SSM state,
    /// its keys and values up to its length, its length and budget; <paramref name="from"/> becomes free. A server moves
    /// sequences so that each budget's running sequences keep consecutive slots, which a step reads in place.
    /// </summary>
    public void Move(int from, int to)
    {
        CheckAllocated(from);
        if (to < 0 || to >= Slots || _budget[to] is not null)
        {
            throw new ArgumentException($"cache slot {to} is not free", nameof(to));
        }

        using var noGrad = no_grad();
        foreach (var t in _conv.Concat(_ssm))
        {
            t?[to].copy_(t[from]);
        }

        int length = _lengths[from];
        if (length > 0)
        {
            foreach (var t in _keys.Concat(_values))
            {
                t?[to].narrow(0, 0, length).copy_(t[from].narrow(0, 0, length));
            }
        }

        _lengths[to] = length;
        _budget[to] = _budget[from];
        _free.Remove(to);
        Release(from);
    }

    /// <summary>Tokens already in the slot's cache (its position).</summary>
    public int Length(int slot) => _lengths[slot];

    /// <summary>The budget a slot is bound to, or null when free.</summary>
    public string? BudgetOf(int slot) => _budget[slot];

    public void Dispose()
    {
        foreach (var t in new[] { _conv, _ssm, _keys, _values }.SelectMany(a => a))
        {
            t?.Dispose();
        }
    }

    internal Tensor Conv(int layer) => _conv[layer]!;

    internal Tensor Ssm(int layer) => _ssm[layer]!;

    internal Tensor Keys(int layer) => _keys[layer]!;

    internal Tensor Values(int layer) => _values[layer]!;

    internal void Advance(int slot, int tokens) => _lengths[slot] += tokens;

    /// <summary>Grows the attention caches to hold <paramref name="positions"/> (doubling, at most the maximum).</summary>
    internal void EnsureCapacity(int positions)
    {
        if (positions <= Capacity)
        {
            return;
        }

        ArgumentOutOfRangeException.ThrowIfGreaterThan(positions, MaxSequenceLength);
        int capacity = Math.Min(MaxSequenceLength, Math.Max(positions, 2 * Capacity));
        using var noGrad = no_grad();
        foreach (var pool in new[] { _keys, _values })
        {
            for (int i = 0; i < pool.Length; i++)
            {
                if (pool[i] is { } old)
                {
                    var grown = zeros([Slots, capacity, old.shape[2], old.shape[3]], old.dtype, old.device);
                    grown.narrow(1, 0, Capacity).copy_(old);
                    old.Dispose();
                    pool[i] = grown;
                }
            }
        }

        Capacity = capacity;
    }

    internal void CheckAllocated(int slot)
    {
        if (slot < 0 || slot >= Slots || _budget[slot] is null)
        {
            throw new ArgumentException($"cache slot {slot} is not allocated", nameof(slot));
        }
    }
}
