using Nestor.Testing;
using Nestor.Training.Config;
using Nestor.Training.Data;

namespace Nestor.Training.Tests;

public sealed class ConfigTests
{
    private static ElastifyPlan Resolve(ScratchDirectory scratch, string yaml)
    {
        var path = scratch.Combine("config.yaml");
        File.WriteAllText(path, yaml);
        return ElastifyPlan.Resolve(ConfigFile.Load(path), path, scratch.Combine("out"), scratch.Path);
    }

    [Fact]
    public void QuickstartCompressionRunResolvesAgainstTheVolume()
    {
        using var scratch = new ScratchDirectory("train-config");
        TinyTeacher.Write(scratch.Combine("models", "tiny-teacher"));
        var path = RepoPaths.Combine("examples", "quickstart", "10-compressionrun.yaml");
        var plan = ElastifyPlan.Resolve(ConfigFile.Load(path), path, scratch.Combine("checkpoints", "tiny-elastic"), scratch.Path);
        Assert.Equal("tiny-elastic", plan.ModelName);
        Assert.Equal(scratch.Combine("models", "tiny-teacher"), plan.ParentPath);
        Assert.Equal(["full", "b75", "b50"], plan.Budgets.Select(b => b.Name));
        Assert.Equal(2, plan.Stages.Count);
        Assert.Equal([0.5, 0.3, 0.2], plan.Stages[1].BudgetWeights);
        Assert.Equal(1.0 / 3, plan.Stages[0].BudgetWeights[0], 9);
    }

    [Fact]
    public void OperatorJsonWithVolumesResolvesClaims()
    {
        using var scratch = new ScratchDirectory("train-config");
        TinyTeacher.Write(scratch.Combine("weights", "models", "t"));
        var json = """
            {"name": "run1", "volumes": {"w": "WEIGHTS"}, "outputVolume": "w",
             "parentModel": {"checkpoint": {"path": "models/t"}}, "budgets": [{"name": "full", "targetFraction": 1}],
             "dataset": {"builtin": {"task": "arith-chains"}}, "output": {"volume": {"claimName": "w", "path": "checkpoints/x"}},
             "resources": {"nodes": 1}, "backoffLimit": 3}
            """.Replace("WEIGHTS", scratch.Combine("weights"), StringComparison.Ordinal);
        var path = scratch.Combine("config.json");
        File.WriteAllText(path, json);
        var plan = ElastifyPlan.Resolve(ConfigFile.Load(path), path, scratch.Combine("weights", "checkpoints", "x"), null);
        Assert.Equal(scratch.Combine("weights", "models", "t"), plan.ParentPath);
        Assert.Equal(scratch.Combine("weights"), plan.VolumeRoot);
        Assert.Equal("run1", plan.ModelName);
        Assert.Equal(2, plan.Stages.Count);
    }

    [Fact]
    public void StagesDrawTheEvaluatedLengthsUnlessConfigured()
    {
        using var scratch = new ScratchDirectory("train-config");
        TinyTeacher.Write(scratch.Combine("teacher"));
        const string Common = "parentModel: {checkpoint: {path: teacher}}\nbudgets: [{name: full, targetFraction: 1}]\n";
        var plan = Resolve(scratch, Common + "dataset: {builtin: {task: arith-chains}}");
        Assert.Equal([ExampleLength.Mixed, ExampleLength.Mixed], plan.Stages.Select(s => s.Examples));
        plan = Resolve(scratch, Common + "dataset: {builtin: {task: arith-chains, options: {length: long}}}");
        Assert.Equal([ExampleLength.Long, ExampleLength.Long], plan.Stages.Select(s => s.Examples));
        plan = Resolve(scratch, Common + "dataset: {builtin: {task: arith-chains}}\ntrainerOptions: {stageExamples: [short, long]}");
        Assert.Equal([ExampleLength.Short, ExampleLength.Long], plan.Stages.Select(s => s.Examples));
    }

    [Theory]
    [InlineData("budgets: []", "budgets")]
    [InlineData("budgets: [{name: full, targetFraction: 1.5}]", "targetFraction")]
    [InlineData("budgets: [{name: full, targetFraction: 1, targetParams: 5}]", "exactly one of targetParams, targetFraction")]
    [InlineData("budgets: [{name: Full_1, targetFraction: 1}]", "DNS label")]
    [InlineData("budgets: [{name: a, targetFraction: 1}, {name: a, targetFraction: 0.5}]", "duplicate")]
    [InlineData("curriculum: {stages: [{name: s1, steps: 3, budgetWeights: [1, 2]}]}", "budgetWeights")]
    [InlineData("curriculum: {stages: [{name: s1, steps: 0}]}", "steps")]
    [InlineData("router: {temperatureStart: 0.1, temperatureEnd: 0.5}", "temperatureEnd")]
    [InlineData("distillation: {klWeight: 0, ceWeight: 0}", "klWeight")]
    [InlineData("routr: {lambda: 1}", "routr")]
    [InlineData("dataset: {builtin: {task: chess}}", "unknown task")]
    [InlineData("dataset: {builtin: {task: arith-chains, options: {colour: red}}}", "colour")]
    [InlineData("parentModel: {checkpoint: {path: nowhere}}", "no checkpoint")]
    [InlineData("trainerOptions: {budgetsPerStep: some}", "trainerOptions.budgetsPerStep")]
    [InlineData("trainerOptions: {sizeTolerance: 1.5}", "trainerOptions.sizeTolerance")]
    [InlineData("trainerOptions: {stageExamples: [short]}", "trainerOptions.stageExamples")]
    [InlineData("trainerOptions: {stageExamples: [short, longest]}", "trainerOptions.stageExamples[1]")]
    public void BadConfigurationsNameTheField(string line, string expected)
    {
        using var scratch = new ScratchDirectory("train-config");
        TinyTeacher.Write(scratch.Combine("teacher"));
        var defaults = new Dictionary<string, string>
        {
            ["parentModel"] = "parentModel: {checkpoint: {path: teacher}}",
            ["budgets"] = "budgets: [{name: full, targetFraction: 1}]",
            ["dataset"] = "dataset: {builtin: {task: arith-chains}}",
        };
        var key = line.Split(':')[0];
        defaults[key] = line;
        var yaml = string.Join("\n", defaults.Values);
        var e = Assert.Throws<ConfigException>(() => Resolve(scratch, yaml));
        Assert.Contains(expected, e.Message, StringComparison.Ordinal);
    }
}
