using Nestor.Checkpoint;
using static TorchSharp.torch;

namespace Nestor.Kernels.Tests;

public sealed class CachedDecodingTests
{
    public static TheoryData<string> Patterns => new() { "MMM", "***", "---", "M-*M-M*-" };

    [Theory]
    [MemberData(nameof(Patterns))]
    public void PrefillThenCachedDecodeEqualsAFullRecompute(string pattern) => PrefillThenDecodeEqualsRecompute(TinyModels.Config(pattern));

    [Fact]
    public void DecodeThroughTheSmallBatchKernel_EqualsAFullRecompute()
    {
        // FFN matrices of 512 × 512 reach Linear.MinSmallBatchWeights, so decode steps (2 rows) run them through
        // SmallBatchGemm while the full recompute (42 rows) runs them through libtorch.
        var wide = NemotronHConfig.Create(hybridOverridePattern: "M-*-", hiddenSize: 512, vocabSize: 50, numAttentionHeads: 4,
            numKeyValueHeads: 2, headDim: 8, intermediateSize: 512, mambaNumHeads: 8, mambaHeadDim: 4, nGroups: 2, ssmStateSize: 4, chunkSize: 8);
        Assert.True(wide.HiddenSize * (long)wide.IntermediateSize >= Linear.MinSmallBatchWeights);
        PrefillThenDecodeEqualsRecompute(wide);
    }

    private static void PrefillThenDecodeEqualsRecompute(NemotronHConfig config)
    {
        using var scope = NewDisposeScope();
        using var model = TinyModels.Create(config, elastic: false);
        var ids = TinyModels.RandomIds(2, 21, 50, seed: 3);
        using var noGrad = no_grad();
        var full = model.Forward(ids, "full");                                   // [2, 21, V]

        using var cache = model.CreateCache(slots: 4, maxSequenceLength: 32);
        int[] slots = [cache.Allocate("full"), cache.Allocate("full")];
        var prompt = 13;                                                          // crosses a chunk boundary (chunk 8)
        var tokens = Enumerable.Range(0, 2).Select(i => (IReadOnlyList<long>)ids[i].data<long>().Take(prompt).ToArray()).ToList();
        var logits = model.Prefill("full", cache, slots, tokens);
        AssertClose(full.select(1, prompt - 1), logits, "prefill");
        for (int t = prompt; t < 21; t++)
        {
            var next = new[] { ids[0, t].item<long>(), ids[1, t].item<long>() };
            logits = model.Decode("full", cache, slots, next);
            AssertClose(full.select(1, t), logits, $"decode at {t}");
        }

        Assert.Equal(21, cache.Length(slots[0]));
    }

    [Fact]
    public void AMovedSequenceDecodesAsIfItHadNotMoved()
    {
        using var scope = NewDisposeScope();
        using var model = TinyModels.Create();
        using var noGrad = no_grad();
        var ids = TinyModels.RandomIds(3, 12, 50, seed: 9);
        IReadOnlyList<long> Row(int i, int from, int count) => ids[i].data<long>().Skip(from).Take(count).ToArray();

        // Reference: sequences in slots 0, 1, 2 throughout.
        using var reference = model.CreateCache(slots: 4, maxSequenceLength: 16);
        int[] refSlots = [reference.Allocate("b75"), reference.Allocate("b75"), reference.Allocate("b75")];
        model.Prefill("b75", reference, refSlots, [Row(0, 0, 9), Row(1, 0, 7), Row(2, 0, 8)]);
        var expected = model.Decode("b75", reference, [refSlots[0], refSlots[2]], [ids[0, 9].item<long>(), ids[2, 8].item<long>()]);

        // The same, but the sequence in slot 1 leaves and the one in slot 2 moves into its place.
        using var cache = model.CreateCache(slots: 4, maxSequenceLength: 16);
        int[] slots = [cache.Allocate("b75"), cache.Allocate("b75"), cache.Allocate("b75")];
        model.Prefill("b75", cache, slots, [Row(0, 0, 9), Row(1, 0, 7), Row(2, 0, 8)]);
        cache.Release(1);
        cache.Move(2, 1);
        Assert.Equal((8, "b75", (string?)null), (cache.Length(1), cache.BudgetOf(1), cache.BudgetOf(2)));
        var actual = model.Decode("b75", cache, [0, 1], [ids[0, 9].item<long>(), ids[2, 8].item<long>()]);
        AssertClose(expected, actual, "after the move");

        Assert.Throws<ArgumentException>(() => cache.Move(0, 1));      // slot 1 is taken
        Assert.Throws<ArgumentException>(() => cache.Move(3, 2));      // slot 3 holds nothing
    }

    [Fact]
    public void SlotsAreAllocatedWithinABlock()
    {
        using var model = TinyModels.Create();
        using var cache = model.CreateCache(slots: 6, maxSequenceLength: 8);
        Assert.Equal(3, cache.Allocate("full", 3, 3));
        Assert.Equal(0, cache.Allocate("b50", 0, 3));
        Assert.Equal(4, cache.Allocate("full", 3, 3));
        Assert.Equal(5, cache.Allocate("full", 3, 3));
        Assert.Throws<InvalidOperationException>(() => cache.Allocate("full", 3, 3));
        Assert.Equal(1, cache.Allocate("b50", 0, 3));
    }

    [Fact]
    public void AttentionCachesGrowAsSequencesGetLongerWithTheSameLogits()
    {
        using var scope = NewDisposeScope();
        using var model = TinyModels.Create(TinyModels.Config("M*-*"), elastic: false);
        var ids = TinyModels.RandomIds(2, 30, 50, seed: 5);
        using var noGrad = no_grad();
        var full = model.Forward(ids, "full");

        using var cache = model.CreateCache(slots: 3, maxSequenceLength: 30, initialCapacity: 4);
        Assert.Equal(4, cache.Capacity);
        long before = cache.Bytes;
        int[] slots = [cache.Allocate("full"), cache.Allocate("full")];
        var logits = model.Prefill("full", cache, slots, [.. Enumerable.Range(0, 2).Select(i => (IReadOnlyList<long>)ids[i].data<long>().Take(3).ToArray())]);
        AssertClose(full.select(1, 2), logits, "prefill");
        var capacities = new List<int> { cache.Capacity };
        for (int t = 3; t < 30; t++)
        {
            logits = model.Decode("full", cache, slots, [ids[0, t].item<long>(), ids[1, t].item<long>()]);
            AssertClose(full.select(1, t), logits, $"decode at {t}");
            capacities.Add(cache.Capacity);
        }

        Assert.Equal([4, 8, 16, 30], capacities.Distinct());
        Assert.True(cache.Bytes > before);
        var tooLong = Assert.Throws<ArgumentException>(() => model.Decode("full", cache, slots, [1, 1]));
        Assert.Contains("more than the cache's 30", tooLong.Message);
    }

    [Fact]
    public void RaggedPromptsChunkedPrefillAndSequencesJoiningAndLeavingMatchTheRecompute()
    {
        using var scope = NewDisposeScope();
        using var model = TinyModels.Create();
        using var noGrad = no_grad();
        foreach (var budget in model.Manifest.Budgets.Select(b => b.Name))
        {
            var sequences = Enumerable.Range(0, 3).Select(i => TinyModels.RandomIds(1, 22, 50, seed: 10 + i)[0].data<long>().ToArray()).ToArray();
            var expected = sequences.Select(s => model.Forward(tensor(s).view(1, -1), budget)[0]).ToArray();

            using var cache = model.CreateCache(slots: 5, maxSequenceLength: 24);
            var blocker = cache.Allocate(budget);                                  // makes the slots non-consecutive
            var a = cache.Allocate(budget);
            var other = cache.Allocate(budget);
            var b = cache.Allocate(budget);
            cache.Release(other);
            cache.Release(blocker);

            // Prompts of different lengths in one batch, slots in descending order (gather/scatter path).
            var logits = model.Prefill(budget, cache, [b, a], [sequences[1][..3], sequences[0][..11]]);
            AssertClose(expected[1][2], logits[0], $"{budget} ragged prefill, short");
            AssertClose(expected[0][10], logits[1], $"{budget} ragged prefill, long");

            // Sequence a continues with a second prefill chunk; b decodes alone.
            logits = model.Prefill(budget, cache, [a], [sequences[0][11..17]]);
            AssertClose(expected[0][16], logits[0], $"{budget} chunked prefill");
            logits = model.Decode(budget, cache, [b], [sequences[1][3]]);
            AssertClose(expected[1][3], logits[0], $"{budget} decode alone");

            // A third sequence joins; all three decode together at different positions.
            var c = cache.Allocate(budget);
            model.Prefill(budget, cache, [c], [sequences[2][..5]]);
            int pa = 17, pb = 4, pc = 5;
            for (int step = 0; step < 3; step++)
            {
                logits = model.Decode(budget, cache, [a, c, b], [sequences[0][pa], sequences[2][pc], sequences[1][pb]]);
                AssertClose(expected[0][pa], logits[0], $"{budget} joint decode a");
                AssertClose(expected[2][pc], logits[1], $"{budget} joint decode c");
                AssertClose(expected[1][pb], logits[2], $"{budget} joint decode b");
                pa++;
                pb++;
                pc++;
            }

            // b leaves; a and c go on.
            cache.Release(b);
            logits = model.Decode(budget, cache, [a, c], [sequences[0][pa], sequences[2][pc]]);
            AssertClose(expected[0][pa], logits[0], $"{budget} after leave a");
            AssertClose(expected[2][pc], logits[1], $"{budget} after leave c");
        }
    }

    [Fact]
    public void StepsRejectSlotsOfAnotherBudgetOrBeyondTheCache()
    {
        using var model = TinyModels.Create();
        using var cache = model.CreateCache(slots: 2, maxSequenceLength: 4);
        var slot = cache.Allocate("b50");
        var error = Assert.Throws<ArgumentException>(() => model.Decode("full", cache, [slot], [1L]));
        Assert.Contains("holds a sequence of budget 'b50', not 'full'", error.Message, StringComparison.Ordinal);
        error = Assert.Throws<ArgumentException>(() => model.Prefill("b50", cache, [slot], [[1, 2, 3, 4, 5]]));
        Assert.Contains("more than the cache's 4", error.Message, StringComparison.Ordinal);
        error = Assert.Throws<ArgumentException>(() => model.Decode("b50", cache, [1], [1L]));
        Assert.Contains("cache slot 1 is not allocated", error.Message, StringComparison.Ordinal);
        cache.Allocate("b50");
        Assert.Throws<InvalidOperationException>(() => cache.Allocate("b50"));
    }

    private static void AssertClose(Tensor expected, Tensor actual, string what)
    {
        double diff = TinyModels.MaxAbsDiff(expected, actual);
        Assert.True(diff < 1e-4, $"{what}: max |Δlogit| = {diff}");
    }
}
