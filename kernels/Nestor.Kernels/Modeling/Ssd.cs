using TorchSharp;
using static TorchSharp.torch;

namespace Nestor.Kernels;

/// <summary>
/// The Mamba-2 state space recurrence, per head h with state S [P, N]:
/// <c>S_t = exp(dt_t·A)·S_{t-1} + dt_t·(x_t ⊗ B_t)</c>, <c>y_t = S_t·C_t</c> (the D skip is added by the mixer).
/// <see cref="ChunkedScan"/> computes it for a whole sequence with the chunked SSD algorithm (as mamba_ssm's
/// ssd_minimal: quadratic attention-like form inside a chunk, a linear recurrence over chunk states between them);
/// <see cref="Step"/> advances it by one token. All tensors are fp32; heads are laid out [k, G] (head = rank·G + group,
/// group g reads B and C of group g).
/// </summary>
public static class Ssd
{
    /// <param name="x">[b, L, k, G, P] inputs.</param>
    /// <param name="dt">[b, L, k, G] time steps (after softplus; 0 at padded positions leaves the state unchanged).</param>
    /// <param name="a">[k, G] A = -exp(A_log).</param>
    /// <param name="b">[b, L, G, N] input projections.</param>
    /// <param name="c">[b, L, G, N] output projections.</param>
    /// <param name="chunkSize">tokens per chunk.</param>
    /// <param name="initialState">[b, k, G, P, N] state before the first token, or null for zeros.</param>
    /// <returns>y [b, L, k, G, P] and the final state [b, k, G, P, N].</returns>
    public static (Tensor Y, Tensor FinalState) ChunkedScan(Tensor x, Tensor dt, Tensor a, Tensor b, Tensor c, int chunkSize, Tensor? initialState)
    {
        long batch = x.shape[0], length = x.shape[1], k = x.shape[2], groups = x.shape[3], p = x.shape[4], n = b.shape[^1];
        long heads = k * groups;
        long pad = (chunkSize - (length % chunkSize)) % chunkSize;
        long chunks = (length + pad) / chunkSize;

        // Heads flattened to H' = k·G; B and C repeated to heads (head rank·G + g uses group g).
        var xh = (x * dt.unsqueeze(-1)).reshape(batch, length, heads, p);                 // discretised input dt·x
        var ah = (dt * a).reshape(batch, length, heads);                                   // dt·A, log of the per-step decay
        var bh = b.unsqueeze(2).expand(batch, length, k, groups, n).reshape(batch, length, heads, n);
        var ch = c.unsqueeze(2).expand(batch, length, k, groups, n).reshape(batch, length, heads, n);
        if (pad > 0)
        {
            // Zero steps: no input, no decay, so the final state is unchanged by the padding.
            xh = nn.functional.pad(xh, [0, 0, 0, 0, 0, pad]);
            ah = nn.functional.pad(ah, [0, 0, 0, pad]);
            bh = nn.functional.pad(bh, [0, 0, 0, 0, 0, pad]);
            ch = nn.functional.pad(ch, [0, 0, 0, 0, 0, pad]);
        }

        var xc = xh.view(batch, chunks, chunkSize, heads, p);                              // [b, c, l, h, p]
        var bc = bh.view(batch, chunks, chunkSize, heads, n);                              // [b, c, l, h, n]
        var cc = ch.view(batch, chunks, chunkSize, heads, n);
        var ac = ah.view(batch, chunks, chunkSize, heads).permute(0, 3, 1, 2);             // [b, h, c, l]
        var aCumsum = ac.cumsum(-1);

        // 1. Within each chunk: y = (C Bᵀ ∘ L) x with L[l, s] = exp(Σ_{s<τ≤l} dt·A).
        var decay = SegmentSum(ac).exp();                                                 // [b, h, c, l, s]
        var yDiag = einsum("bclhn,bcshn,bhcls,bcshp->bclhp", cc, bc, decay, xc);

        // 2. The state each chunk contributes, decayed to the chunk's end.
        var decayToEnd = (aCumsum.narrow(-1, chunkSize - 1, 1) - aCumsum).exp();          // [b, h, c, l]
        var chunkStates = einsum("bclhn,bhcl,bclhp->bchpn", bc, decayToEnd, xc);         // [b, c, h, p, n]

        // 3. Recurrence over chunks, starting from the initial state.
        var start = initialState?.reshape(batch, 1, heads, p, n) ?? zeros([batch, 1, heads, p, n], dtype: x.dtype, device: x.device);
        var states = cat([start, chunkStates], 1);                                         // [b, c+1, h, p, n]
        var chunkDecay = SegmentSum(nn.functional.pad(aCumsum.select(-1, chunkSize - 1), [1, 0])).exp(); // [b, h, c+1, c+1]
        var carried = einsum("bhzc,bchpn->bzhpn", chunkDecay, states);                    // [b, c+1, h, p, n]
        var finalState = carried.select(1, chunks);
        var entering = carried.narrow(1, 0, chunks);                                       // state entering each chunk

        // 4. What the entering state contributes to each position.
        var yOff = einsum("bclhn,bchpn,bhcl->bclhp", cc, entering, aCumsum.exp());

        var y = (yDiag + yOff).reshape(batch, chunks * chunkSize, k, groups, p).narrow(1, 0, length);
        return (y, finalState.view(batch, k, groups, p, n));
    }

    /// <summary>One recurrent step, updating <paramref name="state"/> in place.</summary>
    /// <param name="state">[b, k, G, P, N] fp32, updated in place.</param>
    /// <param name="x">[b, k, G, P].</param>
    /// <param name="dt">[b, k, G].</param>
    /// <param name="a">[k, G].</param>
    /// <param name="b">[b, G, N].</param>
    /// <param name="c">[b, G, N].</param>
    /// <returns>y [b, k, G, P].</returns>
    public static Tensor Step(Tensor state, Tensor x, Tensor dt, Tensor a, Tensor b, Tensor c)
    {
        long batch = x.shape[0], k = x.shape[1], groups = x.shape[2], n = b.shape[^1];
        var decay = (dt * a).exp_().view(batch, k, groups, 1, 1);
        // S ← S·exp(dt·A) + (dt·x) ⊗ B, without materialising the outer product (the state dominates memory traffic).
        state.mul_(decay).addcmul_((x * dt.view(batch, k, groups, 1)).unsqueeze(-1), b.view(batch, 1, groups, 1, n), 1);
        return (state * c.view(batch, 1, groups, 1, n)).sum(-1);                           // y = S·C: [b, k, G, P]
    }

    /// <summary>[..., T] → [..., T, T]: out[i, j] = Σ_{j&lt;τ≤i} x[τ] for i ≥ j, −∞ above the diagonal.</summary>
    public static Tensor SegmentSum(Tensor x)
    {
        long t = x.shape[^1];
        var repeated = x.unsqueeze(-1).expand([.. x.shape, t]);                           // [..., i, j] = x[i]
        var strictlyLower = ones(t, t, dtype: ScalarType.Bool, device: x.device).tril(-1);
        var sums = repeated.masked_fill(strictlyLower.logical_not(), 0).cumsum(-2);
        var lower = ones(t, t, dtype: ScalarType.Bool, device: x.device).tril(0);
        return sums.masked_fill(lower.logical_not(), double.NegativeInfinity);
    }
}
