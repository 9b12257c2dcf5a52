using System.Diagnostics.CodeAnalysis;
using System.Numerics;
using System.Runtime.CompilerServices;
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
    /// <summary>
    /// Advances <paramref name="state"/> in place and returns y [b, k, G, P] (shapes as <see cref="Ssd.Step"/>), or
    /// returns false when the fused step does not apply: not fp32 on the CPU, a gradient wanted, or a tensor whose
    /// rows (everything after the batch axis) are not contiguous. The inputs may be views with any row stride, as the
    /// slices of a decode step's in-projection and a smaller budget's rows of the cache pool are.
    /// </summary>
    public static bool TryStep(Tensor state, Tensor x, Tensor dt, Tensor a, Tensor b, Tensor c, [NotNullWhen(true)] out Tensor? y)
    {
        y = null;
        if (!Fp32Cpu(state) || !Fp32Cpu(x) || !Fp32Cpu(dt) || !Fp32Cpu(a) || !Fp32Cpu(b) || !Fp32Cpu(c) ||
            (is_grad_enabled() && (state.requires_grad || x.requires_grad || dt.requires_grad || a.requires_grad || b.requires_grad || c.requires_grad)))
        {
            return false;
        }

        long[] shape = state.shape;                                                       // [b, k, G, P, N]
        long batch = shape[0], k = shape[1], groups = shape[2], p = shape[3], n = shape[4];
        if (!RowsContiguous(state, out long stateRow) || !RowsContiguous(x, out long xRow) || !RowsContiguous(dt, out long dtRow) ||
            !RowsContiguous(b, out long bRow) || !RowsContiguous(c, out long cRow) || !a.is_contiguous())
        {
            return false;
        }

        y = empty([batch, k, groups, p], ScalarType.Float32);
        unsafe
        {
            Run(new Shape(batch, k, groups, p, n), TensorAddress.Of(state), stateRow, TensorAddress.Of(x), xRow, TensorAddress.Of(dt), dtRow,
                TensorAddress.Of(a), TensorAddress.Of(b), bRow, TensorAddress.Of(c), cRow, TensorAddress.OfContiguous(y));
        }

        return true;
    }

    /// <summary>
    /// The mixer's form: B, C and x are the slices [0, GN), [GN, 2GN) and [2GN, 2GN + kGP) of each row of the
    /// contiguous activated in-projection <paramref name="xbc"/> [b, C'], so the step reads them in place. The same
    /// conditions as <see cref="TryStep"/>, checked with fewer native calls (a decode step makes this call once per
    /// Mamba layer, and at batch 1 those calls cost as much as the arithmetic).
    /// </summary>
    public static bool TryStepFromProjection(Tensor state, Tensor xbc, int groups, int stateSize, int headDim, Tensor dt, Tensor a,
        [NotNullWhen(true)] out Tensor? y)
    {
        y = null;
        if (!Fp32Cpu(state) || xbc.dtype != ScalarType.Float32 || dt.dtype != ScalarType.Float32 || a.dtype != ScalarType.Float32 ||
            (is_grad_enabled() && (state.requires_grad || xbc.requires_grad || dt.requires_grad || a.requires_grad)) ||
            !xbc.is_contiguous() || !dt.is_contiguous() || !a.is_contiguous() || !RowsContiguous(state, out long stateRow, out var stateShape))
        {
            return false;
        }

        long[] xbcShape = xbc.shape;
        long batch = xbcShape[0], channels = xbcShape[1], gn = (long)groups * stateSize, k = (channels - (2 * gn)) / ((long)groups * headDim);
        if (xbcShape.Length != 2 || stateShape.Length != 5 || stateShape[0] != batch || stateShape[1] != k || stateShape[2] != groups ||
            stateShape[3] != headDim || stateShape[4] != stateSize || channels != (2 * gn) + (k * groups * headDim))
        {
            throw new ArgumentException($"SSM state [{string.Join(", ", stateShape)}] does not match the in-projection [{string.Join(", ", xbcShape)}]");
        }

        y = empty([batch, k, groups, headDim], ScalarType.Float32);
        unsafe
        {
            float* projection = TensorAddress.OfContiguous(xbc);
            Run(new Shape(batch, k, groups, headDim, stateSize), TensorAddress.Of(state), stateRow, projection + (2 * gn), channels,
                TensorAddress.OfContiguous(dt), k * groups, TensorAddress.OfContiguous(a), projection, channels, projection + gn, channels,
                TensorAddress.OfContiguous(y));
        }

        return true;
    }

    private readonly record struct Shape(long Batch, long Heads, long Groups, long HeadDim, long StateSize);

    // Per sequence i, head (h, g) and channel q: state row S[i, h, g, q, :] and y[i, h, g, q]. Inputs are addressed
    // by row (sequence) stride; within a row they are contiguous.
    private static unsafe void Run(Shape shape, float* s0, long stateRow, float* x0, long xRow, float* t0, long dtRow, float* a0,
        float* b0, long bRow, float* c0, long cRow, float* y0)
    {
        long k = shape.Heads, groups = shape.Groups, p = shape.HeadDim, n = shape.StateSize;
        for (long i = 0; i < shape.Batch; i++)
        {
            for (long h = 0; h < k; h++)
            {
                for (long g = 0; g < groups; g++)
                {
                    long head = (h * groups) + g;
                    float dtH = t0[(i * dtRow) + head], decay = MathF.Exp(dtH * a0[head]);
                    float* bG = b0 + (i * bRow) + (g * n), cG = c0 + (i * cRow) + (g * n);
                    float* sHead = s0 + (i * stateRow) + (head * p * n);
                    float* xHead = x0 + (i * xRow) + (head * p), yHead = y0 + (((i * k * groups) + head) * p);
                    for (long q = 0; q < p; q++)
                    {
                        yHead[q] = UpdateRow(sHead + (q * n), n, decay, dtH * xHead[q], bG, cG);
                    }
                }
            }
        }
    }

    private static bool Fp32Cpu(Tensor t) => t.dtype == ScalarType.Float32 && t.device_type == DeviceType.CPU;

    // Whether every axis after the first is laid out contiguously (the first may have any stride); its stride.
    private static bool RowsContiguous(Tensor t, out long rowStride) => RowsContiguous(t, out rowStride, out _);

    private static bool RowsContiguous(Tensor t, out long rowStride, out long[] shape)
    {
        shape = t.shape;
        long[] strides = t.stride();
        rowStride = strides[0];
        long expected = 1;
        for (int d = shape.Length - 1; d >= 1; d--)
        {
            if (shape[d] != 1 && strides[d] != expected)
            {
                return false;
            }

            expected *= shape[d];
        }

        return true;
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
}
