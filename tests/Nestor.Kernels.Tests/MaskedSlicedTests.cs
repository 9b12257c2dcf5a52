using Nestor.Checkpoint;
using Nestor.Testing;
using static TorchSharp.torch;

namespace Nestor.Kernels.Tests;

public sealed class MaskedSlicedTests : IDisposable
{
    private readonly ScratchDirectory _dir = new("nestor-kernels");

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void MaskedEqualsSlicedForEveryBudget()
    {
        using var scope = NewDisposeScope();
        using var model = TinyModels.Create();
        var ids = TinyModels.RandomIds(2, 19, 50, seed: 5);
        using var noGrad = no_grad();
        foreach (var budget in model.Manifest.Budgets)
        {
            var masked = model.Forward(ids, ElasticMasks.FromBudget(model.Config, budget));
            var sliced = model.Forward(ids, budget.Name);
            double diff = TinyModels.MaxAbsDiff(masked, sliced);
            Assert.True(diff < 1e-4, $"{budget.Name}: masked vs sliced max |Δlogit| = {diff}");
        }

        // The budgets really differ (the test could fail): the smallest does not compute the full model.
        Assert.True(TinyModels.MaxAbsDiff(model.Forward(ids, "full"), model.Forward(ids, "b50")) > 1e-2);
    }

    [Fact]
    public void EveryBudgetLoadedAloneOrSlicedToAPlainCheckpointGivesTheSameLogits()
    {
        using var scope = NewDisposeScope();
        using var model = TinyModels.Create();
        var folder = _dir.Combine("elastic");
        model.SaveCheckpoint(folder, maxShardBytes: 20_000);
        var ids = TinyModels.RandomIds(1, 12, 50, seed: 9);
        using var noGrad = no_grad();
        using var checkpoint = CheckpointDirectory.Open(folder);
        foreach (var budget in model.Manifest.Budgets)
        {
            var expected = model.Forward(ids, budget.Name);

            using var alone = NemotronHForCausalLM.Load(checkpoint, loadOnly: budget.Name);
            Assert.Equal(budget.Params, alone.parameters().Sum(p => p.numel()));
            Assert.True(TinyModels.MaxAbsDiff(expected, alone.Forward(ids, budget.Name)) < 1e-5, $"{budget.Name} loaded alone");

            var slicedFolder = _dir.Combine("sliced-" + budget.Name);
            CheckpointSlicer.WriteBudget(checkpoint, budget.Name, slicedFolder);
            using var plain = NemotronHForCausalLM.Load(slicedFolder);
            Assert.False(plain.IsElastic);
            Assert.True(TinyModels.MaxAbsDiff(expected, plain.Forward(ids, "full")) < 1e-5, $"{budget.Name} sliced to a plain checkpoint");
        }
    }

    [Fact]
    public void SoftMasksCarryGradientsToTheMasksAndTheWeights()
    {
        using var scope = NewDisposeScope();
        using var model = TinyModels.Create();
        var config = model.Config;
        Tensor Soft(long n) => full(n, 0.7f).requires_grad_();
        var masks = new ElasticMasks
        {
            Hidden = Soft(config.HiddenSize),
            Ffn = Soft(config.IntermediateSize),
            MambaHeads = Soft(config.MambaHeadsPerGroup),
            KeyValueHeads = Soft(config.NumKeyValueHeads),
            QueryHeads = Soft(config.AttentionHeadsPerGroup),
            Layers = Soft(config.NumHiddenLayers),
        };
        var logits = model.Forward(TinyModels.RandomIds(2, 10, 50, seed: 1), masks);
        logits.square().mean().backward();
        foreach (var mask in new[] { masks.Hidden, masks.Ffn, masks.MambaHeads, masks.KeyValueHeads, masks.QueryHeads, masks.Layers })
        {
            Assert.NotNull(mask!.grad);
            Assert.True(mask.grad!.abs().sum().item<float>() > 0);
            Assert.True(mask.grad.isfinite().all().item<bool>());
        }

        Assert.All(model.parameters(), p => Assert.True(p.grad is not null && p.grad.isfinite().all().item<bool>()));
    }

    [Fact]
    public void PermutingChannelsHeadsAndNeuronsLeavesTheLogitsUnchanged()
    {
        using var scope = NewDisposeScope();
        using var model = TinyModels.Create(elastic: false);
        var ids = TinyModels.RandomIds(2, 14, 50, seed: 4);
        var config = model.Config;
        Tensor before;
        using (no_grad())
        {
            before = model.Forward(ids);
        }

        var random = new Random(11);
        long[] Shuffle(int n) => [.. Enumerable.Range(0, n).Select(i => (long)i).OrderBy(_ => random.Next())];
        var mamba = Enumerable.Range(0, config.NumHiddenLayers).Where(i => config.LayerTypes[i] == LayerType.Mamba);
        var attention = Enumerable.Range(0, config.NumHiddenLayers).Where(i => config.LayerTypes[i] == LayerType.Attention);
        var mlp = Enumerable.Range(0, config.NumHiddenLayers).Where(i => config.LayerTypes[i] == LayerType.Mlp);
        var permutation = new ModelPermutation
        {
            Hidden = Shuffle(config.HiddenSize),
            Ffn = mlp.ToDictionary(i => i, _ => Shuffle(config.IntermediateSize)),
            MambaHeads = mamba.ToDictionary(i => i, _ => Enumerable.Range(0, config.NGroups).Select(_ => Shuffle(config.MambaHeadsPerGroup)).ToArray()),
            KeyValueHeads = attention.ToDictionary(i => i, _ => Shuffle(config.NumKeyValueHeads)),
            QueryHeads = attention.ToDictionary(i => i, _ => Enumerable.Range(0, config.NumKeyValueHeads).Select(_ => Shuffle(config.AttentionHeadsPerGroup)).ToArray()),
        };
        var hfBefore = model.ExportHfTensors().ToDictionary(t => t.Name, t => t.Tensor);
        model.ApplyPermutation(permutation);
        using var noGrad = no_grad();
        var after = model.Forward(ids);
        Assert.True(TinyModels.MaxAbsDiff(before, after) < 1e-4, $"max |Δlogit| = {TinyModels.MaxAbsDiff(before, after)}");

        // The weights did move.
        var hfAfter = model.ExportHfTensors().ToDictionary(t => t.Name, t => t.Tensor);
        Assert.True(TinyModels.MaxAbsDiff(hfBefore["backbone.layers.0.mixer.in_proj.weight"], hfAfter["backbone.layers.0.mixer.in_proj.weight"]) > 1e-3);
        Assert.Throws<ArgumentException>(() => model.ApplyPermutation(new ModelPermutation { Ffn = new Dictionary<int, long[]> { [0] = [0] } }));
    }
}
