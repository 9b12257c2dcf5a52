using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using TorchSharp;
using static TorchSharp.torch;

namespace Nestor.Kernels;

/// <summary>
/// <see cref="Ssd.Step"/> for fp32 CPU tensors without autograd, as one pass over the state: for each head and
/// channel p, <c>S[p, :] ← S[p, :]·exp(dt·A) + dt·x[p]·B</c> and <c>y[p] = S[p, :]·C</c>, reading and writing each state
/// row once. The libtorch form makes four passes over the state (scale, add the outer product, multiply by C,
/// sum), and at batch 16 the state is the largest tensor a decode step touches besides the weights.
/// </summary>
internal static class SsdStepCpu
{
    /// <summary>Whether the fused step applies: fp32 CPU tensors, no gradient wanted, state rows contiguous per sequence.</summary>
    public static bool Applies(Tensor state, Tensor x, Tensor dt, Tensor b, Tensor c)
    {
        if (state.device_type != DeviceType.CPU || state.dtype != ScalarType.Float32 || x.dtype != ScalarType.Float32 ||
            dt.dtype != ScalarType.Float32 || b.dtype != ScalarType.Float32 || c.dtype != ScalarType.Float32)
        {
            return false;
        }

        if (is_grad_enabled() && (state.requires_grad || x.requires_grad || dt.requires_grad || b.requires_grad || c.requires_grad))
        {
            return false;
        }

        // [b, k, G, P, N]: everything after the batch axis is one contiguous block per sequence.
        var strides = state.stride();
        long k = state.shape[1], groups = state.shape[2], p = state.shape[3], n = state.shape[4];
        return strides[4] == 1 && strides[3] == n && strides[2] == p * n && (k == 1 || strides[1] == groups * p * n);
    }

    /// <summary>Advances <paramref name="state"/> in place; shapes as <see cref="Ssd.Step"/>. Returns y [b, k, G, P].</summary>
    public static Tensor Step(Tensor state, Tensor x, Tensor dt, Tensor a, Tensor b, Tensor c)
    {
        long batch = x.shape[0], k = x.shape[1], groups = x.shape[2], p = x.shape[3], n = b.shape[^1];
        using var xs = x.contiguous();
        using var decay = (dt * a).exp_().contiguous();                                   // [b, k, G]
        using var dts = dt.contiguous();
        using var bs = b.contiguous();
        using var cs = c.contiguous();
        var y = empty([batch, k, groups, p], ScalarType.Float32);
        long rowStride = state.stride(0);
        unsafe
        {
            float* s0 = Address(state), x0 = Address(xs), d0 = Address(decay), t0 = Address(dts), b0 = Address(bs), c0 = Address(cs), y0 = Address(y);
            for (long i = 0; i < batch; i++)
            {
                for (long h = 0; h < k; h++)
                {
                    for (long g = 0; g < groups; g++)
                    {
                        long head = (((i * k) + h) * groups) + g;
                        float decayH = d0[head], dtH = t0[head];
                        float* bRow = b0 + (((i * groups) + g) * n), cRow = c0 + (((i * groups) + g) * n);
                        float* sHead = s0 + (i * rowStride) + (((h * groups) + g) * p * n);
                        float* xHead = x0 + (head * p), yHead = y0 + (head * p);
                        for (long q = 0; q < p; q++)
                        {
                            yHead[q] = UpdateRow(sHead + (q * n), n, decayH, dtH * xHead[q], bRow, cRow);
                        }
                    }
                }
            }
        }

        return y;
    }

    // s ← s·decay + u·B; returns s·C.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe float UpdateRow(float* s, long n, float decay, float u, float* bRow, float* cRow)
    {
        long j = 0;
        float sum = 0;
        if (Vector.IsHardwareAccelerated && n >= Vector<float>.Count)
        {
            var acc = Vector<float>.Zero;
            var decayV = new Vector<float>(decay);
            var uV = new Vector<float>(u);
            for (; j <= n - Vector<float>.Count; j += Vector<float>.Count)
            {
                var updated = (Vector.Load(s + j) * decayV) + (uV * Vector.Load(bRow + j));
                updated.Store(s + j);
                acc += updated * Vector.Load(cRow + j);
            }

            sum = Vector.Sum(acc);
        }

        for (; j < n; j++)
        {
            s[j] = (s[j] * decay) + (u * bRow[j]);
            sum += s[j] * cRow[j];
        }

        return sum;
    }

    // The address of a CPU tensor's first element (it may be a strided view into a larger storage).
    private static unsafe float* Address(Tensor t)
    {
        using var first = t.as_strided([1], [1], t.storage_offset());
        return (float*)Unsafe.AsPointer(ref MemoryMarshal.GetReference(first.bytes));
    }
}
