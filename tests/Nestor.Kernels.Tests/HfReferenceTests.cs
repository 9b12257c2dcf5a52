using Nestor.Checkpoint;
using Nestor.Testing;
using static TorchSharp.torch;

namespace Nestor.Kernels.Tests;

public sealed class HfReferenceTests : IDisposable
{
    private readonly ScratchDirectory _dir = new("nestor-hf-reference");

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void EveryBudgetMatchesANaiveHuggingFaceImplementationOfItsSlicedCheckpoint()
    {
        using var scope = NewDisposeScope();
        using var model = TinyModels.Create();
        var folder = _dir.Combine("elastic");
        model.SaveCheckpoint(folder);
        using var checkpoint = CheckpointDirectory.Open(folder);
        var ids = TinyModels.RandomIds(1, 19, 50, seed: 21)[0].data<long>().ToArray();
        using var noGrad = no_grad();
        foreach (var budget in model.Manifest.Budgets)
        {
            // What Hugging Face would load: the sliced, plain checkpoint's config and tensors.
            var sliced = _dir.Combine("sliced-" + budget.Name);
            CheckpointSlicer.WriteBudget(checkpoint, budget.Name, sliced);
            using var plain = CheckpointDirectory.Open(sliced);
            var tensors = TensorLayout.For(plain.Config).ToDictionary(t => t.Name, t => TensorIO.Read(plain.Weights, t.Name));
            var expected = HfReference.Logits(plain.Config, tensors, ids);

            var ours = model.Forward(tensor(ids).view(1, -1), budget.Name)[0];
            double diff = TinyModels.MaxAbsDiff(expected, ours);
            Assert.True(diff < 1e-4, $"{budget.Name}: ours vs the naive HF-layout reference, max |Δlogit| = {diff}");
        }
    }
}
