using System.Runtime.CompilerServices;
using TorchSharp;
using static TorchSharp.torch;

namespace Nestor.Kernels;

/// <summary>
/// <c>y = x·Wᵀ</c> (no bias) for every projection of the model: products of up to 16 token rows (decode steps) on
/// fp32 CPU tensors without autograd through <see cref="SmallBatchGemm"/>, everything else (prefill, training, other
/// devices and dtypes) through libtorch.
/// </summary>
public static class Linear
{
    /// <summary>The most token rows computed by <see cref="SmallBatchGemm"/>; longer products go to BLAS, which wins there.</summary>
    public const int MaxSmallBatchRows = 16;

    /// <summary>
    /// The fewest weights for <see cref="SmallBatchGemm"/>: 256 K (1 MB in fp32). Smaller matrices stay in the CPU's
    /// caches between steps, where the kernel has no streaming to win; they stay with libtorch.
    /// </summary>
    public const long MinSmallBatchWeights = 256 * 1024;

    /// <summary>Multiply-adds that pay for one more thread (a parallel loop costs microseconds to start).</summary>
    public const long MinMultiplyAddsPerThread = 256 * 1024;

    [ThreadStatic]
    private static int t_threads;

    /// <summary>
    /// The threads the small-batch products of calls from this thread may use; 0 (the default): libtorch's
    /// <c>get_num_threads</c>. A server runs decode steps with libtorch on one thread and the products on several.
    /// </summary>
    public static void SetThreads(int threads)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(threads);
        t_threads = threads;
    }

    /// <summary>Up to <see cref="SetThreads"/>' count, the columns are split across threads when the product is large enough.</summary>
    /// <param name="x">[..., K].</param>
    /// <param name="w">[N, K], possibly a prefix view of a larger matrix.</param>
    /// <returns>[..., N].</returns>
    public static Tensor Apply(Tensor x, Tensor w)
    {
        // Every libtorch property read is a native call: a call reads the input's shape first (prefill and training
        // stop there), and what is known of a weight is read once per weight tensor (a budget's views live as long
        // as the model).
        long[] xShape = x.shape;
        long k = xShape.Length == 0 ? 0 : xShape[^1], rows = k == 0 ? 0 : ShapeProduct(xShape) / k;
        if (rows < 1 || rows > MaxSmallBatchRows)
        {
            return nn.functional.linear(x, w);
        }

        var weight = Weights.GetValue(w, Describe);
        if (!weight.SmallBatch || weight.Columns != k || x.dtype != ScalarType.Float32 || x.device_type != DeviceType.CPU ||
            (is_grad_enabled() && (w.requires_grad || x.requires_grad)))
        {
            return nn.functional.linear(x, w);
        }

        long n = weight.Rows;
        using var input = xShape.Length == 2 && x.is_contiguous() ? null : x.reshape(rows, k).contiguous();
        xShape[^1] = n;
        var y = empty(xShape, ScalarType.Float32);
        unsafe
        {
            float* xp = TensorAddress.OfContiguous(input ?? x), wp = (float*)weight.Address, yp = TensorAddress.OfContiguous(y);
            long ldw = weight.RowStride;
            int threads = (int)Math.Min(Math.Min(rows * n * k / MinMultiplyAddsPerThread, n / 64), t_threads > 0 ? t_threads : get_num_threads());
            if (threads <= 1)
            {
                SmallBatchGemm.Multiply(xp, (int)rows, (int)k, wp, ldw, yp, (int)n, 0, (int)n);
            }
            else
            {
                // Columns split in multiples of 4 so that every part keeps the 4-row weight tiles.
                int part = (int)((n / threads) + 3) / 4 * 4;
                nint xa = (nint)xp, wa = (nint)wp, ya = (nint)yp;
                Parallel.For(0, threads, new ParallelOptions { MaxDegreeOfParallelism = threads }, t =>
                {
                    int start = t * part, end = (int)Math.Min(n, (long)start + part);
                    if (start < end)
                    {
                        SmallBatchGemm.Multiply((float*)xa, (int)rows, (int)k, (float*)wa, ldw, (float*)ya, (int)n, start, end);
                    }
                });
            }
        }

        return y;
    }

    // What a weight tensor allows. The address stays valid as long as the tensor object: a view keeps its storage alive.
    private sealed record WeightInfo(bool SmallBatch, long Rows, long Columns, long RowStride, nint Address);

    private static readonly ConditionalWeakTable<Tensor, WeightInfo> Weights = new();

    private static WeightInfo Describe(Tensor w)
    {
        long[] shape = w.shape;
        if (shape.Length != 2 || w.dtype != ScalarType.Float32 || w.device_type != DeviceType.CPU || shape[0] * shape[1] < MinSmallBatchWeights)
        {
            return new WeightInfo(false, 0, 0, 0, 0);
        }

        long[] strides = w.stride();
        if (strides[1] != 1)
        {
            return new WeightInfo(false, 0, 0, 0, 0);
        }

        unsafe
        {
            return new WeightInfo(true, shape[0], shape[1], strides[0], (nint)TensorAddress.Of(w));
        }
    }

    private static long ShapeProduct(long[] shape)
    {
        long product = 1;
        foreach (var d in shape)
        {
            product *= d;
        }

        return product;
    }
}
