using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Nestor.Kernels;

/// <summary>
/// <c>y[m, n] = Σ_p x[m, p] · w[n, p]</c> for the few rows of a decode step: tiles of 4 batch rows × 4 weight rows, each
/// weight row read straight from memory once per 4 batch rows (still in L1 for the next 4), no packing.
/// </summary>
/// <remarks>
/// A decode step multiplies a handful of token rows by every weight matrix once; the weights come from DRAM. BLAS
/// sgemm packs the weight panel first and then computes, so for such short products the streaming and the arithmetic
/// do not overlap; here every weight load feeds 4 to 16 fused multiply-adds at once, and the hardware prefetcher
/// follows the four row streams.
/// </remarks>
internal static unsafe class SmallBatchGemm
{
    /// <param name="x">[m, k] rows, contiguous.</param>
    /// <param name="w">[n, k] rows at stride <paramref name="ldw"/> (a budget's weights are a prefix view).</param>
    /// <param name="y">[m, n] output, contiguous; columns <paramref name="nStart"/> to <paramref name="nEnd"/> are written.</param>
    public static void Multiply(float* x, int m, int k, float* w, long ldw, float* y, int n, int nStart, int nEnd)
    {
        int j = nStart;
        for (; j + 4 <= nEnd; j += 4)
        {
            float* w0 = w + (j * ldw), w1 = w0 + ldw, w2 = w1 + ldw, w3 = w2 + ldw;
            // The first pass over these rows also prefetches the next four, so that DRAM latency overlaps arithmetic.
            float* next = w0 + (16 * ldw);
            int i = 0;
            for (; i + 4 <= m; i += 4)
            {
                Tile4x4(x + (i * k), k, w0, w1, w2, w3, y + (i * n) + j, n, next, ldw);
                next = w0;
            }

            for (; i < m; i++)
            {
                Tile1x4(x + (i * k), k, w0, w1, w2, w3, y + (i * n) + j);
                next = w0;
            }
        }

        for (; j < nEnd; j++)
        {
            for (int i = 0; i < m; i++)
            {
                y[(i * n) + j] = Dot(x + (i * k), w + (j * ldw), k);
            }
        }
    }

    // Rows x0..x3 (stride k) against weight rows w0..w3; results to y[r·n + c].
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Tile4x4(float* x0, int k, float* w0, float* w1, float* w2, float* w3, float* y, int n, float* next, long ldw)
    {
        float* x1 = x0 + k, x2 = x1 + k, x3 = x2 + k;
        Vector256<float> a00 = default, a01 = default, a02 = default, a03 = default;
        Vector256<float> a10 = default, a11 = default, a12 = default, a13 = default;
        Vector256<float> a20 = default, a21 = default, a22 = default, a23 = default;
        Vector256<float> a30 = default, a31 = default, a32 = default, a33 = default;
        int p = 0;
        for (; p + 8 <= k; p += 8)
        {
            Prefetch(next + p, ldw);
            var v0 = Vector256.Load(w0 + p);
            var v1 = Vector256.Load(w1 + p);
            var v2 = Vector256.Load(w2 + p);
            var v3 = Vector256.Load(w3 + p);
            var u = Vector256.Load(x0 + p);
            a00 = Vector256.FusedMultiplyAdd(u, v0, a00);
            a01 = Vector256.FusedMultiplyAdd(u, v1, a01);
            a02 = Vector256.FusedMultiplyAdd(u, v2, a02);
            a03 = Vector256.FusedMultiplyAdd(u, v3, a03);
            u = Vector256.Load(x1 + p);
            a10 = Vector256.FusedMultiplyAdd(u, v0, a10);
            a11 = Vector256.FusedMultiplyAdd(u, v1, a11);
            a12 = Vector256.FusedMultiplyAdd(u, v2, a12);
            a13 = Vector256.FusedMultiplyAdd(u, v3, a13);
            u = Vector256.Load(x2 + p);
            a20 = Vector256.FusedMultiplyAdd(u, v0, a20);
            a21 = Vector256.FusedMultiplyAdd(u, v1, a21);
            a22 = Vector256.FusedMultiplyAdd(u, v2, a22);
            a23 = Vector256.FusedMultiplyAdd(u, v3, a23);
            u = Vector256.Load(x3 + p);
            a30 = Vector256.FusedMultiplyAdd(u, v0, a30);
            a31 = Vector256.FusedMultiplyAdd(u, v1, a31);
            a32 = Vector256.FusedMultiplyAdd(u, v2, a32);
            a33 = Vector256.FusedMultiplyAdd(u, v3, a33);
        }

        y[0] = Vector256.Sum(a00) + Tail(x0, w0, p, k);
        y[1] = Vector256.Sum(a01) + Tail(x0, w1, p, k);
        y[2] = Vector256.Sum(a02) + Tail(x0, w2, p, k);
        y[3] = Vector256.Sum(a03) + Tail(x0, w3, p, k);
        y[n] = Vector256.Sum(a10) + Tail(x1, w0, p, k);
        y[n + 1] = Vector256.Sum(a11) + Tail(x1, w1, p, k);
        y[n + 2] = Vector256.Sum(a12) + Tail(x1, w2, p, k);
        y[n + 3] = Vector256.Sum(a13) + Tail(x1, w3, p, k);
        y[(2 * n)] = Vector256.Sum(a20) + Tail(x2, w0, p, k);
        y[(2 * n) + 1] = Vector256.Sum(a21) + Tail(x2, w1, p, k);
        y[(2 * n) + 2] = Vector256.Sum(a22) + Tail(x2, w2, p, k);
        y[(2 * n) + 3] = Vector256.Sum(a23) + Tail(x2, w3, p, k);
        y[(3 * n)] = Vector256.Sum(a30) + Tail(x3, w0, p, k);
        y[(3 * n) + 1] = Vector256.Sum(a31) + Tail(x3, w1, p, k);
        y[(3 * n) + 2] = Vector256.Sum(a32) + Tail(x3, w2, p, k);
        y[(3 * n) + 3] = Vector256.Sum(a33) + Tail(x3, w3, p, k);
    }

    // One token row against weight rows w0..w3, two accumulators per row so that the multiply-adds do not wait on each other.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Tile1x4(float* x0, int k, float* w0, float* w1, float* w2, float* w3, float* y)
    {
        Vector256<float> a0 = default, a1 = default, a2 = default, a3 = default;
        Vector256<float> b0 = default, b1 = default, b2 = default, b3 = default;
        int p = 0;
        for (; p + 16 <= k; p += 16)
        {
            var u = Vector256.Load(x0 + p);
            var v = Vector256.Load(x0 + p + 8);
            a0 = Vector256.FusedMultiplyAdd(u, Vector256.Load(w0 + p), a0);
            b0 = Vector256.FusedMultiplyAdd(v, Vector256.Load(w0 + p + 8), b0);
            a1 = Vector256.FusedMultiplyAdd(u, Vector256.Load(w1 + p), a1);
            b1 = Vector256.FusedMultiplyAdd(v, Vector256.Load(w1 + p + 8), b1);
            a2 = Vector256.FusedMultiplyAdd(u, Vector256.Load(w2 + p), a2);
            b2 = Vector256.FusedMultiplyAdd(v, Vector256.Load(w2 + p + 8), b2);
            a3 = Vector256.FusedMultiplyAdd(u, Vector256.Load(w3 + p), a3);
            b3 = Vector256.FusedMultiplyAdd(v, Vector256.Load(w3 + p + 8), b3);
        }

        for (; p + 8 <= k; p += 8)
        {
            var u = Vector256.Load(x0 + p);
            a0 = Vector256.FusedMultiplyAdd(u, Vector256.Load(w0 + p), a0);
            a1 = Vector256.FusedMultiplyAdd(u, Vector256.Load(w1 + p), a1);
            a2 = Vector256.FusedMultiplyAdd(u, Vector256.Load(w2 + p), a2);
            a3 = Vector256.FusedMultiplyAdd(u, Vector256.Load(w3 + p), a3);
        }

        y[0] = Vector256.Sum(a0 + b0) + Tail(x0, w0, p, k);
        y[1] = Vector256.Sum(a1 + b1) + Tail(x0, w1, p, k);
        y[2] = Vector256.Sum(a2 + b2) + Tail(x0, w2, p, k);
        y[3] = Vector256.Sum(a3 + b3) + Tail(x0, w3, p, k);
    }

    // Four rows at stride ldw (a prefetch never faults, so addresses past the matrix are harmless).
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Prefetch(float* row, long ldw)
    {
        if (Sse.IsSupported)
        {
            Sse.Prefetch0(row);
            Sse.Prefetch0(row + ldw);
            Sse.Prefetch0(row + (2 * ldw));
            Sse.Prefetch0(row + (3 * ldw));
        }
    }

    private static float Dot(float* x, float* w, int k)
    {
        var acc = Vector256<float>.Zero;
        int p = 0;
        for (; p + 8 <= k; p += 8)
        {
            acc = Vector256.FusedMultiplyAdd(Vector256.Load(x + p), Vector256.Load(w + p), acc);
        }

        return Vector256.Sum(acc) + Tail(x, w, p, k);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float Tail(float* x, float* w, int p, int k)
    {
        float sum = 0;
        for (; p < k; p++)
        {
            sum += x[p] * w[p];
        }

        return sum;
    }
}
