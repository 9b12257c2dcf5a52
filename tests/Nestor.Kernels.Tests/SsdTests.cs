using static TorchSharp.torch;

namespace Nestor.Kernels.Tests;

public sealed class SsdTests
{
    [Theory]
    [InlineData(1, 8, 4, false)]   // one chunk
    [InlineData(2, 5, 4, true)]    // length not a multiple of the chunk, with an initial state
    [InlineData(3, 17, 4, true)]   // several chunks
    [InlineData(2, 16, 16, false)] // one chunk exactly
    [InlineData(1, 9, 1, true)]    // chunk of one token
    public void ChunkedScanEqualsTheStepRecurrence(int batch, int length, int chunk, bool withInitialState)
    {
        using var scope = NewDisposeScope();
        var g = new Generator(42, CPU);
        long k = 3, groups = 2, p = 4, n = 5;
        var x = randn([batch, length, k, groups, p], generator: g);
        var dt = rand([batch, length, k, groups], generator: g).mul_(0.5).add_(0.01);
        var a = -rand([k, groups], generator: g).mul_(2).add_(0.1);
        var b = randn([batch, length, groups, n], generator: g);
        var c = randn([batch, length, groups, n], generator: g);
        var initial = withInitialState ? randn([batch, k, groups, p, n], generator: g) : null;

        var (y, final) = Ssd.ChunkedScan(x, dt, a, b, c, chunk, initial);

        var state = initial?.clone() ?? zeros([batch, k, groups, p, n]);
        var steps = new List<Tensor>();
        for (int t = 0; t < length; t++)
        {
            steps.Add(Ssd.Step(state, x.select(1, t), dt.select(1, t), a, b.select(1, t), c.select(1, t)));
        }

        var expected = stack(steps, 1);
        Assert.Equal(expected.shape, y.shape);
        Assert.True(TinyModels.MaxAbsDiff(expected, y) < 1e-4, $"y differs by {TinyModels.MaxAbsDiff(expected, y)}");
        Assert.True(TinyModels.MaxAbsDiff(state, final) < 1e-4, $"final state differs by {TinyModels.MaxAbsDiff(state, final)}");
    }

    [Fact]
    public void ZeroTimeStepsLeaveTheStateUnchanged()
    {
        using var scope = NewDisposeScope();
        var g = new Generator(7, CPU);
        var initial = randn([1, 2, 2, 3, 4], generator: g);
        var (_, final) = Ssd.ChunkedScan(randn([1, 6, 2, 2, 3], generator: g), zeros([1, 6, 2, 2]), -ones(2, 2),
            randn([1, 6, 2, 4], generator: g), randn([1, 6, 2, 4], generator: g), 4, initial);
        Assert.True(TinyModels.MaxAbsDiff(initial, final) < 1e-6);
    }

    [Fact]
    public void SegmentSumIsTheSumOverTheSegment()
    {
        var x = tensor(new float[] { 1, 2, 3, 4 });
        var s = Ssd.SegmentSum(x);
        Assert.Equal(0f, s[2, 2].item<float>());
        Assert.Equal(3f + 4f, s[3, 1].item<float>());
        Assert.Equal(float.NegativeInfinity, s[1, 2].item<float>());
    }
}
