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
    public void ChunkedScanGradientsEqualTheStepRecurrences()
    {
        using var scope = NewDisposeScope();
        var g = new Generator(11, CPU);
        long batch = 2, length = 11, k = 2, groups = 2, p = 3, n = 4;
        Tensor Leaf(Tensor t) => t.detach().requires_grad_();
        var x = Leaf(randn([batch, length, k, groups, p], generator: g));
        var dt = Leaf(rand([batch, length, k, groups], generator: g).mul_(0.5).add_(0.01));
        var a = Leaf(-rand([k, groups], generator: g).mul_(2).add_(0.1));
        var b = Leaf(randn([batch, length, groups, n], generator: g));
        var c = Leaf(randn([batch, length, groups, n], generator: g));
        var initial = Leaf(randn([batch, k, groups, p, n], generator: g));
        Tensor[] inputs = [x, dt, a, b, c, initial];
        var weights = randn([batch, length, k, groups, p], generator: g);

        var (y, final) = Ssd.ChunkedScan(x, dt, a, b, c, 4, initial);
        var chunked = autograd.grad([(y * weights).sum() + final.square().sum()], inputs);

        var state = initial * 1;
        var steps = new List<Tensor>();
        for (int t = 0; t < length; t++)
        {
            state = state * 1;   // Step updates in place: keep every step's input for autograd
            steps.Add(Ssd.Step(state, x.select(1, t), dt.select(1, t), a, b.select(1, t), c.select(1, t)));
        }

        var recurrent = autograd.grad([(stack(steps, 1) * weights).sum() + state.square().sum()], inputs);
        for (int i = 0; i < inputs.Length; i++)
        {
            double diff = TinyModels.MaxAbsDiff(recurrent[i], chunked[i]), scale = recurrent[i].abs().max().item<float>();
            Assert.True(diff < 1e-4 * Math.Max(1, scale), $"gradient {i} differs by {diff} (scale {scale})");
        }
    }

    [Theory]
    [InlineData(16, 3)]  // a multiple of the vector width
    [InlineData(5, 1)]   // a scalar tail only
    [InlineData(21, 2)]  // vectors and a tail
    public void FusedCpuStepEqualsTheLibTorchStep_OnAViewIntoACachePool(int n, int budgetHeads)
    {
        using var scope = NewDisposeScope();
        var g = new Generator(5, CPU);
        long slots = 6, heads = 3, groups = 2, p = 4, batch = 3;
        var pool = randn([slots, heads, groups, p, n], generator: g);
        var poolBefore = pool.clone();
        // Rows 2..4 of the pool, first budgetHeads heads: a strided view, as a smaller budget's decode step gets.
        var rows = pool.narrow(1, 0, budgetHeads).narrow(0, 2, batch);
        var dt = rand([batch, budgetHeads, groups], generator: g).mul_(0.5).add_(0.01);
        var a = -rand([budgetHeads, groups], generator: g).mul_(2).add_(0.1);
        // x, B and C as slices of one in-projection row, as the mixer passes them.
        var projection = randn([batch, (2 * groups * n) + (budgetHeads * groups * p)], generator: g);
        var b = projection.narrow(1, 0, groups * n).view(batch, groups, n);
        var c = projection.narrow(1, groups * n, groups * n).view(batch, groups, n);
        var x = projection.narrow(1, 2 * groups * n, budgetHeads * groups * p).view(batch, budgetHeads, groups, p);
        var expectedState = rows.clone();
        var expectedY = Ssd.StepLibTorch(expectedState, x, dt, a, b, c);

        Assert.True(SsdStepCpu.TryStep(rows, x, dt, a, b, c, out var y));

        Assert.True(TinyModels.MaxAbsDiff(expectedY, y) < 1e-5, $"y differs by {TinyModels.MaxAbsDiff(expectedY, y)}");
        Assert.True(TinyModels.MaxAbsDiff(expectedState, rows) < 1e-5, $"state differs by {TinyModels.MaxAbsDiff(expectedState, rows)}");
        var untouched = ones([slots, heads, groups, p, n], ScalarType.Bool);
        untouched.narrow(1, 0, budgetHeads).narrow(0, 2, batch).fill_(false);
        Assert.True(pool.masked_select(untouched).eq(poolBefore.masked_select(untouched)).all().item<bool>(), "rows outside the view changed");
    }

    [Fact]
    public void FusedCpuStep_DoesNotApply_ForGradientsOtherDtypesOrScatteredRows()
    {
        using var scope = NewDisposeScope();
        var state = zeros([1, 1, 1, 2, 4]);
        var x = zeros([1, 1, 1, 2]).requires_grad_();
        Assert.False(SsdStepCpu.TryStep(state, x, zeros([1, 1, 1]), zeros([1, 1]), zeros([1, 1, 4]), zeros([1, 1, 4]), out _));
        Assert.False(SsdStepCpu.TryStep(state.to(ScalarType.Float64), zeros([1, 1, 1, 2]), zeros([1, 1, 1]), zeros([1, 1]), zeros([1, 1, 4]), zeros([1, 1, 4]), out _));
        // A state whose rows are not contiguous (every other channel).
        Assert.False(SsdStepCpu.TryStep(zeros([1, 1, 1, 4, 4]).narrow(3, 0, 2).transpose(3, 4), zeros([1, 1, 1, 4]), zeros([1, 1, 1]), zeros([1, 1]), zeros([1, 1, 2]), zeros([1, 1, 2]), out _));
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
