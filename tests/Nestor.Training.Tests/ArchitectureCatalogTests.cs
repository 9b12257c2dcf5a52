using Nestor.Checkpoint;
using Nestor.Training.Elastic;
using static TorchSharp.torch;

namespace Nestor.Training.Tests;

public sealed class ArchitectureCatalogTests
{
    private static readonly int[] Ranking = [2, 0, 4, 1, 3];

    private static IReadOnlyList<float[]> RandomScores(SearchSpace space, int seed)
    {
        var random = new Random(seed);
        return [.. SearchSpace.Axes.Select(a => space.Choices[a].Select(_ => (float)random.NextDouble()).ToArray())];
    }

    [Fact]
    public void EveryCandidateCountsItsParametersLikeTheCheckpointFormula()
    {
        var config = TinyTeacher.Config();
        var catalog = new ArchitectureCatalog(new SearchSpace(config), Ranking);
        Assert.Equal(SearchSpace.Axes.Aggregate(1, (n, a) => n * catalog.Space.Choices[a].Length), catalog.Count);
        var random = new Random(5);
        for (int trial = 0; trial < 20; trial++)
        {
            int[] index = [.. SearchSpace.Axes.Select(a => random.Next(catalog.Space.Choices[a].Length))];
            var budget = catalog.Space.Budget("b", catalog.Sizes(index), Ranking);
            Assert.Equal(ParameterCount.Of(config, budget), catalog.ParamsOf(index));
        }

        Assert.Equal(ParameterCount.Of(config), catalog.ParamsOf(catalog.Full));
    }

    [Theory]
    [InlineData(0.75)]
    [InlineData(0.6)]
    [InlineData(0.5)]
    public void BestIsTheHighestScoringChoiceWithinTheToleranceOfTheTarget(double fraction)
    {
        var config = TinyTeacher.Config();
        var catalog = new ArchitectureCatalog(new SearchSpace(config), Ranking);
        long target = (long)(ParameterCount.Of(config) * fraction);
        var scores = RandomScores(catalog.Space, 7);
        var best = catalog.Best(scores, target, 0.03);
        Assert.InRange(Math.Abs(catalog.ParamsOf(best) - target) / (double)target, 0, 0.03);

        // Exhaustively: no admissible choice scores higher.
        double Score(int[] index) => index.Select((c, a) => (double)scores[a][c]).Sum();
        var all = Enumerate(catalog).Where(i => Math.Abs(catalog.ParamsOf(i) - target) / (double)target <= 0.03).ToList();
        Assert.NotEmpty(all);
        Assert.Equal(all.Max(Score), Score(best), 6);
    }

    [Fact]
    public void KeepingEveryLayerKindNeverPicksADepthCutThatDropsTheOnlyAttentionLayer()
    {
        // "M-*M-" ranked so that the attention layer (2) comes last: keeping 3 or 4 layers drops it.
        int[] ranking = [0, 3, 1, 4, 2];
        var config = TinyTeacher.Config();
        var space = new SearchSpace(config);
        long target = (long)(ParameterCount.Of(config) * 0.6);
        var scores = RandomScores(space, 3);
        int depth = Array.IndexOf(SearchSpace.Axes, Axis.Depth);
        scores[depth][0] = 100; // the router strongly prefers the shallowest cut

        var free = new ArchitectureCatalog(space, ranking);
        Assert.Equal(3, free.Sizes(free.Best(scores, target, 0.03))[Axis.Depth]);

        var kept = new ArchitectureCatalog(space, ranking, keepEveryLayerKind: true);
        var best = kept.Best(scores, target, 0.03);
        Assert.Equal(5, kept.Sizes(best)[Axis.Depth]);
        Assert.True(kept.IsAdmissible(best));
        Assert.InRange(Math.Abs(kept.ParamsOf(best) - target) / (double)target, 0, 0.03);
        double Score(int[] index) => index.Select((c, a) => (double)scores[a][c]).Sum();
        var admissible = Enumerate(kept).Where(i => kept.IsAdmissible(i) && Math.Abs(kept.ParamsOf(i) - target) / (double)target <= 0.03).ToList();
        Assert.All(admissible, i => Assert.Equal(5, kept.Sizes(i)[Axis.Depth]));
        Assert.Equal(admissible.Max(Score), Score(best), 6);
    }

    [Fact]
    public void BestStaysWithinTheBoundAndWidensTheToleranceOnlyWhenNothingFits()
    {
        var config = TinyTeacher.Config();
        var catalog = new ArchitectureCatalog(new SearchSpace(config), Ranking);
        long full = ParameterCount.Of(config);
        var scores = RandomScores(catalog.Space, 11);
        var larger = catalog.Best(scores, (long)(full * 0.75), 0.03);
        var smaller = catalog.Best(scores, full / 2, 0.03, larger);
        Assert.All(Enumerable.Range(0, larger.Length), a => Assert.True(smaller[a] <= larger[a]));

        // A target below the smallest architecture: the nearest ones are admissible, the smallest is chosen.
        var smallest = catalog.Best(scores, 1000, 0.03);
        Assert.Equal(Enumerate(catalog).Min(catalog.ParamsOf), catalog.ParamsOf(smallest));
    }

    [Fact]
    public void FrozenBudgetsAreNestedAndWithinTheToleranceOfTheirTargets()
    {
        var config = TinyTeacher.Config();
        var space = new SearchSpace(config);
        var catalog = new ArchitectureCatalog(space, Ranking);
        long full = ParameterCount.Of(config);
        using var routers = new BudgetRouters(space, 3, 16, Ranking, 9);
        long[] targets = [full, (long)(full * 0.75), full / 2];
        var budgets = ElasticTrainer.FrozenBudgets(routers, catalog, Ranking, targets, ["full", "b75", "b50"], [true, false, false], 0.03);

        Assert.Equal(full, budgets[0].Params);
        for (int b = 1; b < 3; b++)
        {
            Assert.InRange(Math.Abs(budgets[b].Params - targets[b]) / (double)targets[b], 0, 0.03);
            var larger = budgets[b - 1];
            Assert.True(budgets[b].HiddenSize <= larger.HiddenSize && budgets[b].IntermediateSize <= larger.IntermediateSize
                && budgets[b].MambaHeadsPerGroup <= larger.MambaHeadsPerGroup && budgets[b].NumAttentionHeads <= larger.NumAttentionHeads
                && budgets[b].Layers.All(larger.Layers.Contains), $"{budgets[b].Name} is not nested in {larger.Name}");
        }
    }

    [Fact]
    public void ConstrainedSampleIsHardForwardOnThePickedChoiceWithRouterGradients()
    {
        var config = TinyTeacher.Config();
        var space = new SearchSpace(config);
        var catalog = new ArchitectureCatalog(space, Ranking);
        using var routers = new BudgetRouters(space, 2, 16, Ranking, 1);
        long target = ParameterCount.Of(config) / 2;
        var (choice, index) = routers.Sample(1, 0.5, new Generator(4, CPU), scores => catalog.Best(scores, target, 0.03));
        for (int a = 0; a < SearchSpace.Axes.Length; a++)
        {
            var values = choice[SearchSpace.Axes[a]].detach().data<float>().ToArray();
            Assert.Equal(index[a], Array.FindIndex(values, v => Math.Abs(v - 1) < 1e-6));
            Assert.Equal(values.Length - 1, values.Count(v => Math.Abs(v) < 1e-6));
        }

        Assert.Equal(catalog.ParamsOf(index), (long)Math.Round(routers.ParamsOf(choice).item<double>()));
        ((routers.ParamsOf(choice) - target).abs() / target).backward();
        Assert.Contains(routers.parameters(), p => p.grad is not null && p.grad.abs().sum().item<float>() > 0);
    }

    private static IEnumerable<int[]> Enumerate(ArchitectureCatalog catalog)
    {
        var counts = SearchSpace.Axes.Select(a => catalog.Space.Choices[a].Length).ToArray();
        for (int n = 0; n < catalog.Count; n++)
        {
            var index = new int[counts.Length];
            int rest = n;
            for (int a = counts.Length - 1; a >= 0; a--)
            {
                index[a] = rest % counts[a];
                rest /= counts[a];
            }

            yield return index;
        }
    }
}
