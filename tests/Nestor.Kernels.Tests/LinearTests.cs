using static TorchSharp.torch;

namespace Nestor.Kernels.Tests;

public sealed class LinearTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(3)]   // fewer rows than a tile
    [InlineData(5)]   // a tile and a row
    [InlineData(16)]  // the most rows the small-batch kernel takes
    [InlineData(17)]  // libtorch
    public void Apply_EqualsLibTorch_OnAPrefixViewWithRaggedEdges(int rows)
    {
        using var scope = NewDisposeScope();
        var g = new Generator(3, CPU);
        // 301 × 1003 of a 320 × 1024 matrix: a budget's prefix view, columns not a multiple of 4, rows not of 8.
        var w = randn([320, 1024], generator: g).narrow(0, 0, 301).narrow(1, 0, 1003);
        var x = randn([rows, 1003], generator: g);
        using var noGrad = no_grad();
        AssertClose(nn.functional.linear(x, w), Linear.Apply(x, w));
    }

    [Fact]
    public void Apply_AcceptsBatchedAndStridedInputs()
    {
        using var scope = NewDisposeScope();
        var g = new Generator(4, CPU);
        var w = randn([512, 512], generator: g);
        var x = randn([2, 3, 1024], generator: g).narrow(2, 100, 512);        // [2, 3, 512], rows not contiguous
        using var noGrad = no_grad();
        var y = Linear.Apply(x, w);
        Assert.Equal([2, 3, 512], y.shape);
        AssertClose(nn.functional.linear(x, w), y);

        // Contiguous rows that start inside a larger tensor, and a weight view that does too.
        var rows = randn([6, 512], generator: g).narrow(0, 2, 3);
        var wOffset = randn([600, 512], generator: g).narrow(0, 50, 520);
        AssertClose(nn.functional.linear(rows, wOffset), Linear.Apply(rows, wOffset));
    }

    [Fact]
    public void ColumnRangesOfTheKernel_FillTheirColumnsOnly()
    {
        // The parallel split: each thread computes a column range of y.
        using var scope = NewDisposeScope();
        var g = new Generator(5, CPU);
        var w = randn([130, 64], generator: g);
        var x = randn([6, 64], generator: g);
        var y = full([6, 130], float.NaN);
        unsafe
        {
            SmallBatchGemm.Multiply(TensorAddress.Of(x), 6, 64, TensorAddress.Of(w), 64, TensorAddress.Of(y), 130, 0, 68);
            Assert.True(y.narrow(1, 68, 62).isnan().all().item<bool>());
            SmallBatchGemm.Multiply(TensorAddress.Of(x), 6, 64, TensorAddress.Of(w), 64, TensorAddress.Of(y), 130, 68, 130);
        }

        AssertClose(nn.functional.linear(x, w), y);
    }

    [Fact]
    public void Apply_KeepsAutogradWhenAGradientIsWanted()
    {
        using var scope = NewDisposeScope();
        var w = randn([512, 512]).requires_grad_();
        var y = Linear.Apply(randn([2, 512]), w);
        Assert.True(y.requires_grad);
        y.sum().backward();
        Assert.NotNull(w.grad);

        // A weight first seen without gradients and asked for them later.
        var later = randn([512, 512]);
        using (no_grad())
        {
            Assert.False(Linear.Apply(randn([2, 512]), later).requires_grad);
        }

        later.requires_grad_();
        Assert.True(Linear.Apply(randn([2, 512]), later).requires_grad);
    }

    private static void AssertClose(Tensor expected, Tensor actual)
    {
        Assert.Equal(expected.shape, actual.shape);
        double diff = TinyModels.MaxAbsDiff(expected, actual), scale = expected.abs().max().item<float>();
        Assert.True(diff < 1e-5 * Math.Max(1, scale), $"differs by {diff} (scale {scale})");
    }
}
