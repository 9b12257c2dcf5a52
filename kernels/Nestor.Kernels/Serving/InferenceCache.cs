using Nestor.Checkpoint;
using static TorchSharp.torch;

namespace Nestor.Kernels;

/// <summary>
/// A pool of per-sequence decoding caches ("slots") for one model, covering every budget. For each Mamba layer: the
/// last K−1 conv inputs [slots, K−1, 2GN + I] and the SSM state [slots, Hg, G, P, N] (fp32); for each attention
/// layer: keys and values [slots, max_sequence_length, nkv, hd]. A budget uses a prefix of the channel/head axes
/// (the execution layout makes them prefixes), so one pool serves all budgets.
/// </summary>
/// <remarks>
/// A sequence owns one slot from <see cref="Allocate"/> to <see cref="Release"/> and is bound to the budget it was
/// allocated for (its cache holds that budget's activations). Any subset of slots, in any order, can form a batch at
/// any step, so sequences join and leave between steps: a step works in place on the pool when its slots are
/// consecutive and ascending, and otherwise gathers the batch's states and scatters them back. Memory is allocated
/// once, up front. Not thread-safe: one engine thread drives a cache.
/// </remarks>
public sealed class InferenceCache : IDisposable
{
    private readonly Tensor?[] _conv, _ssm, _keys, _values;
    private readonly int[] _lengths;
    private readonly string?[] _budget;
    private readonly SortedSet<int> _free;

    internal InferenceCache(NemotronHForCausalLM model, int slots, int maxSequenceLength)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(slots, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxSequenceLength, 1);
        var config = model.Config;
        Slots = slots;
        MaxSequenceLength = maxSequenceLength;
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
                    _keys[i] = zeros([slots, maxSequenceLength, config.NumKeyValueHeads, config.HeadDim], model.DType, model.Device);
                    _values[i] = zeros([slots, maxSequenceLength, config.NumKeyValueHeads, config.HeadDim], model.DType, model.Device);
                    break;
            }
        }

        _lengths = new int[slots];
        _budget = new string?[slots];
        _free = [.. Enumerable.Range(0, slots)];
    }

    public int Slots { get; }

    public int MaxSequenceLength { get; }

    public int FreeSlots => _free.Count;

    /// <summary>Bytes held by the pool.</summary>
    public long Bytes => new[] { _conv, _ssm, _keys, _values }.SelectMany(a => a).Sum(t => t is null ? 0 : t.numel() * t.element_size());

    /// <summary>Takes a free slot (the lowest) for a new sequence of <paramref name="budget"/>, with an empty cache.</summary>
    public int Allocate(string budget)
    {
        if (_free.Count == 0)
        {
            throw new InvalidOperationException($"all {Slots} cache slots are in use");
        }

        int slot = _free.Min;
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

    internal void CheckAllocated(int slot)
    {
        if (slot < 0 || slot >= Slots || _budget[slot] is null)
        {
            throw new ArgumentException($"cache slot {slot} is not allocated", nameof(slot));
        }
    }
}
