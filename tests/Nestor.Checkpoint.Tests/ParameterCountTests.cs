namespace Nestor.Checkpoint.Tests;

public sealed class ParameterCountTests
{
    [Fact]
    public void Nano12BAnalyticCountEqualsTheElementCountOfItsTensors()
    {
        var config = NemotronHConfig.Parse(NemotronHConfigTests.Nano12BConfig);
        long analytic = ParameterCount.Of(config);
        long fromShapes = TensorLayout.For(config).Sum(t => t.ElementCount);

        Assert.Equal(fromShapes, analytic);
        Assert.Equal(12_310_001_152, analytic);
        Assert.Equal(3 + (62 * 1) + (28 * 8) + (6 * 4) + (28 * 2), TensorLayout.For(config).Count);
    }

    [Fact]
    public void EveryBudgetsCountEqualsItsSlicedTensorsAndItsSlicedConfig()
    {
        var config = TinyCheckpoints.Config();
        foreach (var budget in TinyCheckpoints.Manifest(config).Budgets)
        {
            var plan = SlicePlan.Create(config, budget);
            Assert.Equal(budget.Params, plan.Tensors.Sum(t => t.ElementCount));
            Assert.Equal(budget.Params, ParameterCount.Of(plan.Sliced));
            Assert.Equal(budget.Params, TensorLayout.For(plan.Sliced).Sum(t => t.ElementCount));
            Assert.Equal(TensorLayout.For(plan.Sliced).Select(t => (t.Name, string.Join(',', t.Shape))),
                plan.Tensors.Select(t => (t.TargetName, string.Join(',', t.TargetShape))));
        }
    }

    [Fact]
    public void A12BBudgetShapedLikeNemotronNano4BCountsWhatItKeeps()
    {
        // The published 4B was cut from the 9B; here the same kind of cut of the 12B: depth, width, Mamba heads, FFN.
        var config = NemotronHConfig.Parse(NemotronHConfigTests.Nano12BConfig);
        var layers = Enumerable.Range(0, 62).Where(i => i % 3 != 1 || config.LayerTypes[i] == LayerType.Attention).ToArray();
        var budget = ElasticBudget.Create(config, "b4", 3136, 12544, 12, 8, 40, layers);
        var plan = SlicePlan.Create(config, budget);
        Assert.Equal(budget.Params, plan.Tensors.Sum(t => t.ElementCount));
        Assert.Equal(96, plan.Sliced.MambaNumHeads);
        Assert.Equal(budget.Bytes, budget.Params * 2);
    }
}
