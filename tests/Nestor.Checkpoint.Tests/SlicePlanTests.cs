using Nestor.Checkpoint.Safetensors;

namespace Nestor.Checkpoint.Tests;

public sealed class SlicePlanTests
{
    private static readonly NemotronHConfig Config = TinyCheckpoints.Config();

    [Fact]
    public void MambaHeadsAreCutTheSameWayInEveryGroup()
    {
        var plan = SlicePlan.Create(Config, TinyCheckpoints.Manifest(Config).Get("b50"));
        // 2 groups of 4 heads, 2 kept per group: heads 0-1 and 4-5.
        Assert.Equal([new IndexRange(0, 2), new IndexRange(4, 2)], plan.MambaHeads);
        Assert.Equal(4, plan.Sliced.MambaNumHeads);
        Assert.Equal(2, plan.Sliced.NGroups);

        // in_proj rows, by an independent rule: row r is kept when it is a kept head's z or x channel, any B/C row,
        // or a kept head's dt row.
        int p = 4, inner = 32, states = 2 * 2 * 4;
        bool KeptHead(int head) => head % 4 < 2;
        var expectedRows = Enumerable.Range(0, inner + inner + states + 8).Where(r =>
            r < inner ? KeptHead(r / p)
            : r < 2 * inner ? KeptHead((r - inner) / p)
            : r < (2 * inner) + states || KeptHead(r - (2 * inner) - states)).ToArray();
        var inProj = plan.ForTarget("backbone.layers.0.mixer.in_proj.weight");
        Assert.Equal(expectedRows, Expand(inProj.Axes[0]));
        Assert.Equal([new IndexRange(0, 16)], inProj.Axes[1]);

        var conv = plan.ForTarget("backbone.layers.0.mixer.conv1d.weight");
        Assert.Equal(Enumerable.Range(0, inner + states).Where(c => c >= inner || KeptHead(c / p)), Expand(conv.Axes[0]));
        Assert.Equal([new IndexRange(0, 2), new IndexRange(4, 2)], plan.ForTarget("backbone.layers.0.mixer.A_log").Axes[0]);
    }

    [Fact]
    public void AttentionKeepsWholeKvHeadsAndQueryHeadsWithinThem()
    {
        var b75 = SlicePlan.Create(Config, TinyCheckpoints.Manifest(Config).Get("b75"));
        // 2 KV heads kept, 1 of 2 query heads in each: query heads 0 and 2, i.e. rows [0,8) and [16,24).
        Assert.Equal([new IndexRange(0, 1), new IndexRange(2, 1)], b75.AttentionQueryHeads);
        var q = b75.ForTarget("backbone.layers.2.mixer.q_proj.weight");
        Assert.Equal([new IndexRange(0, 8), new IndexRange(16, 8)], q.Axes[0]);
        Assert.Equal([new IndexRange(0, 16)], b75.ForTarget("backbone.layers.2.mixer.k_proj.weight").Axes[0]);
        Assert.Equal([new IndexRange(0, 24)], b75.ForTarget("backbone.layers.2.mixer.o_proj.weight").Axes[0]);
        Assert.Equal(q.Axes[0], b75.ForTarget("backbone.layers.2.mixer.o_proj.weight").Axes[1]);
    }

    [Fact]
    public void KeptLayersAreRenumberedAndThePatternFollows()
    {
        var plan = SlicePlan.Create(Config, TinyCheckpoints.Manifest(Config).Get("b50"));
        Assert.Equal("M*M-*", plan.Sliced.HybridOverridePattern);
        Assert.Equal("backbone.layers.4.mixer.q_proj.weight", plan.ForTarget("backbone.layers.4.mixer.q_proj.weight").TargetName);
        Assert.Equal("backbone.layers.6.mixer.q_proj.weight", plan.ForTarget("backbone.layers.4.mixer.q_proj.weight").SourceName);
        Assert.Equal("backbone.layers.4.mixer.up_proj.weight", plan.ForTarget("backbone.layers.3.mixer.up_proj.weight").SourceName);
    }

    [Fact]
    public void TheFullBudgetKeepsEveryTensorWhole()
    {
        var plan = SlicePlan.Create(Config, ElasticBudget.Full(Config));
        Assert.All(plan.Tensors, t => Assert.True(t.IsWhole, t.SourceName));
        Assert.All(plan.Tensors, t => Assert.Equal(t.SourceName, t.TargetName));
        Assert.Equal(Config.ToJsonString(), plan.Sliced.ToJsonString());
    }

    private static int[] Expand(IReadOnlyList<IndexRange> ranges) =>
        [.. ranges.SelectMany(r => Enumerable.Range((int)r.Start, (int)r.Length))];
}
