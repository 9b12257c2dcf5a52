using TorchSharp;
using static TorchSharp.torch;

namespace Nestor.Kernels;

/// <summary>
/// The Mamba-2 state space recurrence, per head h with state S [P, N]:
/// <c>S_t = exp(dt_t·A)·S_{t-1} + dt_t·(x_t ⊗ B_t)</c>, <c>y_t = S_t·C_t</c> (the D skip is added by the mixer).
/// <see cref="ChunkedScan"/> computes it for a whole sequence with the chunked SSD algorithm (as mamba_ssm's
/// ssd_minimal: quadratic attention-like form inside a chunk, a linear recurrence over chunk states between them;
/// the decays inside a chunk are differences of cumulative sums, as in mamba_ssm's chunk-scan kernels);
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
    /// <param name="chunkSize">the longest chunk; the sequence is cut into the fewest chunks of at most this many
    /// tokens, of equal length, so that little padding is computed (the result does not depend on it).</param>
    /// <param name="initialState">[b, k, G, P, N] state before the first token, or null for zeros.</param>
    /// <returns>y [b, L, k, G, P] and the final state [b, k, G, P, N].</returns>
    public static (Tensor Y, Tensor FinalState) ChunkedScan(Tensor x, Tensor dt, Tensor a, Tensor b, Tensor c, int chunkSize, Tensor? initialState)
    {
        long batch = x.shape[0], length = x.shape[1], k = x.shape[2], groups = x.shape[3], p = x.shape[4], n = b.shape[^1];
        long chunks = (length + chunkSize - 1) / chunkSize;
        long l = (length + chunks - 1) / chunks;
        long pad = (chunks * l) - length;

        var xdt = x * dt.unsqueeze(-1);                                                    // discretised input dt·x
        var logDecay = dt * a;                                                             // dt·A, log of the per-step decay
        if (pad > 0)
        {
            // Zero steps: no input, no decay, so the final state is unchanged by the padding.
            xdt = nn.functional.pad(xdt, [0, 0, 0, 0, 0, 0, 0, pad]);
            logDecay = nn.functional.pad(logDecay, [0, 0, 0, 0, 0, pad]);
            b = nn.functional.pad(b, [0, 0, 0, 0, 0, pad]);
            c = nn.functional.pad(c, [0, 0, 0, 0, 0, pad]);
        }

        // Group-major layout: the k heads of a group share its B and C, so C·Bᵀ is computed once per group.
        var xc = xdt.view(batch, chunks, l, k, groups, p).permute(0, 1, 4, 3, 2, 5);       // [b, c, G, k, l, P]
        var bc = b.view(batch, chunks, l, groups, n).permute(0, 1, 3, 2, 4);               // [b, c, G, l, N]
        var cc = c.view(batch, chunks, l, groups, n).permute(0, 1, 3, 2, 4);               // [b, c, G, l, N]
        var aCumsum = logDecay.view(batch, chunks, l, k, groups).permute(0, 1, 4, 3, 2).cumsum(-1); // [b, c, G, k, l]

        // 1. Within each chunk: y = (C Bᵀ ∘ L) x with L[t, s] = exp(Σ_{s<τ≤t} dt·A) = exp(cumsum_t − cumsum_s) for s ≤ t.
        var above = ones(l, l, dtype: ScalarType.Bool, device: x.device).triu(1);
        var decay = (aCumsum.unsqueeze(-1) - aCumsum.unsqueeze(-2)).masked_fill_(above, double.NegativeInfinity).exp_(); // [b, c, G, k, t, s]
        var scores = cc.matmul(bc.transpose(-1, -2)).unsqueeze(3);                        // [b, c, G, 1, t, s]
        var yDiag = (scores * decay).matmul(xc);                                           // [b, c, G, k, t, P]

        // 2. The state each chunk contributes, decayed to the chunk's end: Σ_s exp(cumsum_end − cumsum_s) x_s ⊗ B_s.
        var decayToEnd = (aCumsum.narrow(-1, l - 1, 1) - aCumsum).exp_();                  // [b, c, G, k, l]
        var chunkStates = (xc * decayToEnd.unsqueeze(-1)).transpose(-1, -2).matmul(bc.unsqueeze(3)); // [b, c, G, k, P, N]

        // 3. Recurrence over chunks, starting from the initial state.
        var start = initialState is null
            ? zeros([batch, 1, groups, k, p, n], dtype: x.dtype, device: x.device)
            : initialState.permute(0, 2, 1, 3, 4).unsqueeze(1);                            // [b, 1, G, k, P, N]
        var states = cat([start, chunkStates], 1).permute(0, 2, 3, 1, 4, 5).reshape(batch, groups, k, chunks + 1, p * n);
        var chunkTotals = nn.functional.pad(aCumsum.select(-1, l - 1).permute(0, 2, 3, 1), [1, 0]); // [b, G, k, c+1]
        var carried = SegmentSum(chunkTotals).exp_().matmul(states)                        // [b, G, k, c+1, P·N]
            .view(batch, groups, k, chunks + 1, p, n);
        var entering = carried.narrow(3, 0, chunks).permute(0, 3, 1, 2, 4, 5);             // [b, c, G, k, P, N]: state entering each chunk

        // 4. What the entering state contributes to each position: exp(cumsum_t) · C_t · S.
        var yOff = cc.unsqueeze(3).matmul(entering.transpose(-1, -2)) * aCumsum.exp().unsqueeze(-1); // [b, c, G, k, t, P]

        var y = (yDiag + yOff).permute(0, 1, 4, 3, 2, 5).reshape(batch, chunks * l, k, groups, p).narrow(1, 0, length);
        var finalState = carried.select(3, chunks).permute(0, 2, 1, 3, 4);                 // [b, k, G, P, N]
        return (y, finalState);
    }

    /// <summary>One recurrent step, updating <paramref name="state"/> in place (fused on the CPU: <see cref="SsdStepCpu"/>).</summary>
    /// <param name="state">[b, k, G, P, N] fp32, updated in place.</param>
    /// <param name="x">[b, k, G, P].</param>
    /// <param name="dt">[b, k, G].</param>
    /// <param name="a">[k, G].</param>
    /// <param name="b">[b, G, N].</param>
    /// <param name="c">[b, G, N].</param>
    /// <returns>y [b, k, G, P].</returns>
    public static Tensor Step(Tensor state, Tensor x, Tensor dt, Tensor a, Tensor b, Tensor c)
    {
        return SsdStepCpu.TryStep(state, x, dt, a, b, c, out var y) ? y : StepLibTorch(state, x, dt, a, b, c);
    }

    /// <summary><see cref="Step"/> in libtorch operations: any device, dtype and autograd.</summary>
    internal static Tensor StepLibTorch(Tensor state, Tensor x, Tensor dt, Tensor a, Tensor b, Tensor c)
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
