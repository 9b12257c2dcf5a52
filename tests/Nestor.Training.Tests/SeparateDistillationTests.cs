using Nestor.Checkpoint;
using Nestor.Kernels;
using Nestor.Training.Baselines;
using Nestor.Training.Config;
using Nestor.Training.Data;
using Nestor.Training.Elastic;

namespace Nestor.Training.Tests;

/// <summary>The separate-distillation baseline follows the elastic run's stages and counts the data tokens it used.</summary>
public sealed class SeparateDistillationTests
{
    private static readonly StagePlan[] Stages =
    [
        new("stage1", 2, 32, [1.0], ExampleLength.Short),
        new("stage2", 2, 48, [1.0], ExampleLength.Long),
    ];

    [Fact]
    public void StageAtFollowsTheStagesAndRepeatsTheLast()
    {
        Assert.Equal(["stage1", "stage1", "stage2", "stage2", "stage2"], Enumerable.Range(0, 5).Select(s => SeparateDistillation.StageAt(Stages, s).Name));
    }

    [Fact]
    public void AnUnreachableTargetRunsTheCapAndCountsEachStagesTokens()
    {
        var config = TinyTeacher.Config();
        using var teacher = NemotronHForCausalLM.Create(config, seed: 3);
        using var student = NemotronHForCausalLM.Create(config, seed: 3);
        var space = new SearchSpace(config);
        var budget = space.Budget("b50", new Dictionary<Axis, int>
        {
            [Axis.Hidden] = config.HiddenSize / 2,
            [Axis.Ffn] = config.IntermediateSize / 2,
            [Axis.MambaHeads] = 1,
            [Axis.AttentionHeads] = 1,
            [Axis.Depth] = space.Choices[Axis.Depth][0],
        }, [0, 1, 2, 3, 4]);
        var data = new ArithChainTask(42, validationExamples: 2, testExamples: 2);
        var tokenizer = TrainingTokenizer.For(config);
        var logged = new List<string>();

        var run = SeparateDistillation.Run(student, teacher, budget, data, tokenizer, data.Validation, targetAccuracy: 1.1, Stages, maxSteps: 5,
            batchSize: 2, learningRate: 1e-3, warmupSteps: 1, weightDecay: 0, seed: 5, evalEvery: 2, logged.Add);

        Assert.False(run.Reached);
        Assert.Equal((2 * 2 * 32) + (3 * 2 * 48), run.TokensToTarget);
        Assert.Equal(3, logged.Count); // steps 2, 4 and the last (5)
        Assert.Equal(budget.Params, run.Params);
    }

    [Fact]
    public void AReachedTargetSpendsNoTokens()
    {
        var config = TinyTeacher.Config();
        using var teacher = NemotronHForCausalLM.Create(config, seed: 3);
        using var student = NemotronHForCausalLM.Create(config, seed: 3);
        var data = new ArithChainTask(42, validationExamples: 2, testExamples: 2);
        var run = SeparateDistillation.Run(student, teacher, ElasticBudget.Full(config), data, TrainingTokenizer.For(config), data.Validation, targetAccuracy: 0,
            Stages, maxSteps: 5, batchSize: 2, learningRate: 1e-3, warmupSteps: 1, weightDecay: 0, seed: 5, evalEvery: 2, _ => { });
        Assert.True(run.Reached);
        Assert.Equal(0, run.TokensToTarget);
    }
}
