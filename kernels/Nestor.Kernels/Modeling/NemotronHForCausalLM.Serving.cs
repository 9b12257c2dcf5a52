using TorchSharp;
using static TorchSharp.torch;

namespace Nestor.Kernels;

public sealed partial class NemotronHForCausalLM
{
    /// <summary>
    /// A cache pool of <paramref name="slots"/> sequences of up to <paramref name="maxSequenceLength"/> tokens, whose
    /// attention caches start with room for <paramref name="initialCapacity"/> positions and grow when needed.
    /// </summary>
    public InferenceCache CreateCache(int slots, int maxSequenceLength, int initialCapacity = InferenceCache.DefaultInitialCapacity) =>
        new(this, slots, maxSequenceLength, initialCapacity);

    /// <summary>
    /// Batched prefill: appends each sequence's tokens to its slot's cache (a fresh slot or one that already holds
    /// tokens) and returns the logits after each sequence's last token, [b, V]. Prompts of different lengths run as
    /// one batch: the projections and MLPs compute the real tokens only (packed rows), and the conv, scan and
    /// attention run on the right-padded grid, where padded positions are excluded from attention and get dt = 0
    /// in the Mamba scan, so they leave every state unchanged.
    /// </summary>
    public Tensor Prefill(BudgetView budget, InferenceCache cache, IReadOnlyList<int> slots, IReadOnlyList<IReadOnlyList<long>> tokens)
    {
        CheckStep(budget, cache, slots, tokens.Select(t => t.Count).ToArray());
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        int batch = slots.Count, longest = tokens.Max(t => t.Count);
        var lengths = tokens.Select(t => (long)t.Count).ToArray();
        var starts = slots.Select(s => (long)cache.Length(s)).ToArray();
        int total = tokens.Sum(t => t.Count);
        var ids = new long[total];
        var gridPositions = new long[total];   // each real token's index in the padded [b·L] grid
        var valid = new float[batch * longest];
        for (int i = 0, row = 0; i < batch; i++)
        {
            for (int t = 0; t < tokens[i].Count; t++, row++)
            {
                ids[row] = tokens[i][t];
                gridPositions[row] = ((long)i * longest) + t;
                valid[(i * longest) + t] = 1;
            }
        }

        bool allValid = total == batch * longest;
        var rows = new SlotBatch(slots, Device);
        var validMask = allValid ? null : tensor(valid, [batch, longest], device: Device);
        var positions = allValid ? null : tensor(gridPositions, device: Device);
        var lengthT = tensor(lengths, device: Device);
        var h = budget.Embeddings.index_select(0, tensor(ids, device: Device));                  // [T, d']
        foreach (var layer in budget.Layers)
        {
            var block = layers[layer.Layer];
            var x = RmsNorm.Normalize(h, layer.NormWeight, block.Norm.Eps);
            Tensor update;
            switch (layer.Mixer)
            {
                case MambaView m:
                    {
                        var (conv, ssm) = MambaCache(cache, layer.Layer, m, block.Mamba);
                        var convRows = rows.Rows(conv);
                        var ssmRows = rows.Rows(ssm);
                        var (output, inputs, final) = block.Mamba.ForwardPacked(m, x, positions, batch, longest, convRows, ssmRows, validMask);
                        int kernel = block.Mamba.ConvKernel;
                        // The conv history is the last K−1 inputs of each sequence's real tokens.
                        var history = allValid
                            ? inputs.narrow(1, longest, kernel - 1)
                            : inputs.gather(1, (lengthT.view(batch, 1, 1) + arange(kernel - 1, device: Device).view(1, -1, 1)).expand(batch, kernel - 1, inputs.shape[2]));
                        rows.Store(conv, convRows, history.to(conv.dtype));
                        rows.Store(ssm, ssmRows, final);
                        update = output;
                        break;
                    }

                case AttentionView a:
                    {
                        var attention = block.Attention;
                        var (q, k, v) = attention.Project(a, x.unsqueeze(0));                    // [1, T, ...]
                        var (keys, values) = AttentionCache(cache, layer.Layer, a);
                        // Write the real tokens' keys and values at their positions (rows are in token order).
                        var slotT = tensor(Enumerable.Range(0, batch).SelectMany(i => Enumerable.Repeat((long)slots[i], (int)lengths[i])).ToArray(), device: Device);
                        var posT = tensor(Enumerable.Range(0, batch).SelectMany(i => Enumerable.Range(0, (int)lengths[i]).Select(t => starts[i] + t)).ToArray(), device: Device);
                        keys.index_put_(k.squeeze(0), [slotT, posT]);
                        values.index_put_(v.squeeze(0), [slotT, posT]);

                        long seen = Enumerable.Range(0, batch).Max(i => starts[i] + lengths[i]);
                        var pastKeys = rows.Rows(keys.narrow(1, 0, seen));
                        var pastValues = rows.Rows(values.narrow(1, 0, seen));
                        // Query t of sequence i sees keys 0 .. start_i + t.
                        var queryPos = tensor(starts, device: Device).view(batch, 1, 1) + arange(longest, device: Device).view(1, -1, 1);
                        var allowed = arange(seen, device: Device).view(1, 1, -1).le(queryPos);
                        var attended = attention.Attend(Padded.Scatter(q.squeeze(0), positions, batch, longest), pastKeys, pastValues, allowed);
                        update = attention.Output(a, Padded.Gather(attended, positions).unsqueeze(0), null).squeeze(0);
                        break;
                    }

                case MlpView f:
                    update = Mlp.Forward(f, x);
                    break;
                default:
                    throw new InvalidOperationException($"unknown mixer view {layer.Mixer.GetType().Name}");
            }

            h = h + update;
        }

        for (int i = 0; i < batch; i++)
        {
            cache.Advance(slots[i], (int)lengths[i]);
        }

        // Logits after each sequence's last real token.
        var last = h.index_select(0, lengthT.cumsum(0) - 1);
        var logits = Linear.Apply(RmsNorm.Normalize(last, budget.NormF, norm_f.Eps), budget.LmHead);
        return logits.MoveToOuterDisposeScope();
    }

    /// <summary>Prefill with a manifest budget's prepared views.</summary>
    public Tensor Prefill(string budget, InferenceCache cache, IReadOnlyList<int> slots, IReadOnlyList<IReadOnlyList<long>> tokens) =>
        Prefill(Prepared(budget), cache, slots, tokens);

    /// <summary>
    /// Batched decode: one token per sequence, each at its own position, using and updating its slot's cache
    /// (recurrent Mamba step, attention over the cached keys). Returns the next-token logits [b, V].
    /// </summary>
    public Tensor Decode(BudgetView budget, InferenceCache cache, IReadOnlyList<int> slots, IReadOnlyList<long> tokens)
    {
        CheckStep(budget, cache, slots, [.. tokens.Select(_ => 1)]);
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        int batch = slots.Count;
        var rows = new SlotBatch(slots, Device);
        var positions = slots.Select(s => (long)cache.Length(s)).ToArray();
        long seen = positions.Max() + 1;
        bool samePosition = positions.All(p => p == positions[0]);
        var slotT = rows.Index;
        var posT = tensor(positions, device: Device);
        var allowed = samePosition ? null : arange(seen, device: Device).view(1, 1, -1).le(posT.view(batch, 1, 1));

        var h = budget.Embeddings.index_select(0, tensor(tokens.ToArray(), device: Device));     // [b, d']
        foreach (var layer in budget.Layers)
        {
            var block = layers[layer.Layer];
            var x = RmsNorm.Normalize(h, layer.NormWeight, block.Norm.Eps);
            Tensor update;
            switch (layer.Mixer)
            {
                case MambaView m:
                    {
                        var (conv, ssm) = MambaCache(cache, layer.Layer, m, block.Mamba);
                        var convRows = rows.Rows(conv);
                        var ssmRows = rows.Rows(ssm);
                        update = block.Mamba.Step(m, x, convRows, ssmRows);
                        rows.Store(conv, convRows, convRows);
                        rows.Store(ssm, ssmRows, ssmRows);
                        break;
                    }

                case AttentionView a:
                    {
                        var attention = block.Attention;
                        var (q, k, v) = attention.Project(a, x.unsqueeze(1));                  // [b, 1, ...]
                        var (keys, values) = AttentionCache(cache, layer.Layer, a);
                        keys.index_put_(k.squeeze(1), [slotT, posT]);
                        values.index_put_(v.squeeze(1), [slotT, posT]);
                        var pastKeys = rows.Rows(keys.narrow(1, 0, seen));
                        var pastValues = rows.Rows(values.narrow(1, 0, seen));
                        update = attention.Output(a, attention.Attend(q, pastKeys, pastValues, allowed), null).squeeze(1);
                        break;
                    }

                case MlpView f:
                    update = Mlp.Forward(f, x);
                    break;
                default:
                    throw new InvalidOperationException($"unknown mixer view {layer.Mixer.GetType().Name}");
            }

            h = h.add_(update);
        }

        foreach (var slot in slots)
        {
            cache.Advance(slot, 1);
        }

        var logits = Linear.Apply(RmsNorm.Normalize(h, budget.NormF, norm_f.Eps), budget.LmHead);
        return logits.MoveToOuterDisposeScope();
    }

    /// <summary>Decode with a manifest budget's prepared views.</summary>
    public Tensor Decode(string budget, InferenceCache cache, IReadOnlyList<int> slots, IReadOnlyList<long> tokens) =>
        Decode(Prepared(budget), cache, slots, tokens);

    private static (Tensor Conv, Tensor Ssm) MambaCache(InferenceCache cache, int layer, MambaView w, Mamba2Mixer mixer)
    {
        long channels = w.ConvWeight.shape[0];
        return (cache.Conv(layer).narrow(2, 0, channels), cache.Ssm(layer).narrow(1, 0, w.HeadsPerGroup));
    }

    private static (Tensor Keys, Tensor Values) AttentionCache(InferenceCache cache, int layer, AttentionView w) =>
        (cache.Keys(layer).narrow(2, 0, w.KeyValueHeads), cache.Values(layer).narrow(2, 0, w.KeyValueHeads));

    private void CheckStep(BudgetView budget, InferenceCache cache, IReadOnlyList<int> slots, IReadOnlyList<int> newTokens)
    {
        if (slots.Count == 0 || slots.Count != newTokens.Count)
        {
            throw new ArgumentException($"a step needs one token list per slot ({slots.Count} slots, {newTokens.Count} token lists)");
        }

        if (slots.Distinct().Count() != slots.Count)
        {
            throw new ArgumentException("a slot appears twice in one step", nameof(slots));
        }

        for (int i = 0; i < slots.Count; i++)
        {
            cache.CheckAllocated(slots[i]);
            if (cache.BudgetOf(slots[i]) != budget.Name)
            {
                throw new ArgumentException($"cache slot {slots[i]} holds a sequence of budget '{cache.BudgetOf(slots[i])}', not '{budget.Name}'", nameof(slots));
            }

            if (newTokens[i] < 1)
            {
                throw new ArgumentException($"sequence in slot {slots[i]} has no tokens", nameof(slots));
            }

            if (cache.Length(slots[i]) + newTokens[i] > cache.MaxSequenceLength)
            {
                throw new ArgumentException($"sequence in slot {slots[i]} would have {cache.Length(slots[i]) + newTokens[i]} tokens, more than the cache's {cache.MaxSequenceLength}", nameof(slots));
            }
        }

        cache.EnsureCapacity(slots.Select((s, i) => cache.Length(s) + newTokens[i]).Max());
    }
}
