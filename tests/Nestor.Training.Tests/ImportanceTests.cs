using Nestor.Checkpoint;
using Nestor.Kernels;
using Nestor.Training.Elastic;
using static TorchSharp.torch;

namespace Nestor.Training.Tests;

public sealed class ImportanceTests
{
    private static List<Tensor> Batches(int count, int seed) =>
        [.. Enumerable.Range(0, count).Select(i => randint(0, 256, [3, 24], generator: new Generator((ulong)(seed + i), CPU), dtype: ScalarType.Int64))];

    [Fact]
    public void ReorderingByImportanceLeavesTheLogitsUnchanged()
    {
        var config = TinyTeacher.Config();
        using var model = NemotronHForCausalLM.Create(config, seed: 11);
        var batches = Batches(2, 1);
        var probe = randint(0, 256, [2, 40], generator: new Generator(99, CPU), dtype: ScalarType.Int64);
        using var noGrad = no_grad();
        var before = model.Forward(probe).clone();

        var scores = ImportanceScores.Estimate(model, batches);
        var permutation = scores.ToPermutation(config);
        Assert.False(permutation.Hidden!.SequenceEqual(Enumerable.Range(0, config.HiddenSize).Select(i => (long)i)), "the test needs a non-trivial order");
        model.ApplyPermutation(permutation);
        var after = model.Forward(probe);

        double diff = (before - after).abs().max().item<float>();
        Assert.True(diff < 1e-4, $"max |Δlogit| = {diff}");
    }

    [Fact]
    public void AfterReorderingEveryAxisIsSortedByImportance()
    {
        var config = TinyTeacher.Config();
        using var model = NemotronHForCausalLM.Create(config, seed: 12);
        var batches = Batches(2, 5);
        model.ApplyPermutation(ImportanceScores.Estimate(model, batches).ToPermutation(config));
        var again = ImportanceScores.Estimate(model, batches);

        static void Descending(IEnumerable<double> values, string what)
        {
            var list = values.ToList();
            for (int i = 1; i < list.Count; i++)
            {
                Assert.True(list[i] <= list[i - 1] * (1 + 1e-4) + 1e-6, $"{what}: position {i} ({list[i]}) > position {i - 1} ({list[i - 1]})");
            }
        }

        Descending(again.Hidden, "hidden");
        foreach (var (layer, ffn) in again.Ffn)
        {
            Descending(ffn, $"ffn[{layer}]");
        }

        int hg = config.MambaHeadsPerGroup;
        foreach (var (layer, heads) in again.MambaHeads)
        {
            for (int g = 0; g < config.NGroups; g++)
            {
                Descending(heads.Skip(g * hg).Take(hg), $"mamba[{layer}] group {g}");
            }
        }

        Assert.Equal(config.NumHiddenLayers, again.LayerRanking.Distinct().Count());
    }

    [Fact]
    public void RouterParameterCountAndMasksMatchTheCheckpointFormulas()
    {
        var config = TinyTeacher.Config();
        var space = new SearchSpace(config);
        int[] ranking = [2, 0, 4, 1, 3];
        using var routers = new BudgetRouters(space, 2, 16, ranking, 1);
        var random = new Random(3);
        for (int trial = 0; trial < 20; trial++)
        {
            var picks = SearchSpace.Axes.ToDictionary(a => a, a => random.Next(space.Choices[a].Length));
            var choice = picks.ToDictionary(p => p.Key, p =>
            {
                var v = zeros(space.Choices[p.Key].Length);
                v[p.Value] = 1;
                return v;
            });
            var sizes = picks.ToDictionary(p => p.Key, p => space.Choices[p.Key][p.Value]);
            var budget = space.Budget("b", sizes, ranking);
            Assert.Equal(ParameterCount.Of(config, budget), (long)Math.Round(routers.ParamsOf(choice).item<double>()));

            var masks = routers.Masks(choice);
            var expected = ElasticMasks.FromBudget(config, budget);
            Assert.True(masks.Hidden!.eq(expected.Hidden!).all().item<bool>());
            Assert.True(masks.Ffn!.eq(expected.Ffn!).all().item<bool>());
            Assert.True(masks.MambaHeads!.eq(expected.MambaHeads!).all().item<bool>());
            Assert.True(masks.QueryHeads!.eq(expected.QueryHeads!).all().item<bool>());
            Assert.True(masks.Layers!.eq(expected.Layers!).all().item<bool>());
        }
    }

    [Fact]
    public void GumbelStraightThroughIsHardForwardAndGivesRouterGradients()
    {
        var config = TinyTeacher.Config();
        var space = new SearchSpace(config);
        using var routers = new BudgetRouters(space, 3, 16, [0, 1, 2, 3, 4], 1);
        var choice = routers.Sample(1, 0.5, new Generator(4, CPU));
        foreach (var (_, y) in choice)
        {
            var values = y.detach().data<float>().ToArray();
            Assert.Equal(1, values.Count(v => Math.Abs(v - 1) < 1e-6));
            Assert.Equal(values.Length - 1, values.Count(v => Math.Abs(v) < 1e-6));
        }

        var target = ParameterCount.Of(config) / 2.0;
        ((routers.ParamsOf(choice) - target).abs() / target).backward();
        Assert.All(routers.parameters(), p => Assert.True(p.grad is not null && !p.grad.isnan().any().item<bool>()));
        Assert.Contains(routers.parameters(), p => p.grad!.abs().sum().item<float>() > 0);
    }
}
