using Nestor.Checkpoint;
using Nestor.Testing;
using static TorchSharp.torch;

namespace Nestor.Kernels.Tests;

public sealed class CheckpointIoTests : IDisposable
{
    private readonly ScratchDirectory _dir = new("nestor-kernels-io");

    public void Dispose() => _dir.Dispose();

    [Theory]
    [InlineData(ScalarType.Float32)]
    [InlineData(ScalarType.BFloat16)]
    public void SaveAndLoadRoundTripBitExact(ScalarType dtype)
    {
        using var scope = NewDisposeScope();
        using var model = TinyModels.Create(dtype: dtype);
        var folder = _dir.Combine(dtype.ToString());
        model.SaveCheckpoint(folder);
        using var loaded = NemotronHForCausalLM.Load(folder);
        Assert.Equal(dtype, loaded.DType);
        Assert.True(loaded.IsElastic);
        Assert.Equal(model.Manifest.Budgets.Select(b => b.Name), loaded.Manifest.Budgets.Select(b => b.Name));
        var a = model.ExportHfTensors();
        var b = loaded.ExportHfTensors().ToDictionary(t => t.Name, t => t.Tensor);
        foreach (var (name, tensor) in a)
        {
            Assert.True(tensor.eq(b[name]).all().item<bool>(), name);
        }

        // The HF layout is what was written: in_proj rows z | x | B | C | dt of a Mamba layer.
        using var checkpoint = CheckpointDirectory.Open(folder);
        var stored = TensorIO.Read(checkpoint.Weights, "backbone.layers.0.mixer.in_proj.weight");
        Assert.True(stored.eq(a.Single(t => t.Name == "backbone.layers.0.mixer.in_proj.weight").Tensor).all().item<bool>());
    }

    [Fact]
    public void Bf16RunsOnCpuAndTracksFp32()
    {
        using var scope = NewDisposeScope();
        using var model = TinyModels.Create();
        var folder = _dir.Combine("f32");
        model.SaveCheckpoint(folder);
        using var bf16 = NemotronHForCausalLM.Load(folder, dtype: ScalarType.BFloat16);
        var ids = TinyModels.RandomIds(1, 10, 50, seed: 2);
        using var noGrad = no_grad();
        var reference = model.Forward(ids, "full");
        var low = bf16.Forward(ids, "full");
        Assert.Equal(ScalarType.BFloat16, low.dtype);
        double scale = reference.abs().max().item<float>();
        Assert.True(TinyModels.MaxAbsDiff(reference, low) < 0.1 * scale);

        using var cache = bf16.CreateCache(1, 16);
        var slot = cache.Allocate("full");
        var prefill = bf16.Prefill("full", cache, [slot], [ids[0].data<long>().ToArray()]);
        Assert.True(TinyModels.MaxAbsDiff(low.select(1, 9), prefill) < 0.05 * scale);
    }

    [Fact]
    public void SwitchingBudgetsCopiesNoWeights()
    {
        using var model = TinyModels.Create();
        var full = model.Activate("full");
        var small = model.Activate("b50");
        Assert.Same(small, model.Prepared("b50"));
        Assert.Same(full, model.Activate("full"));
        // Views share the parameters' storage: a write through the full model shows in the small budget's view.
        var smallZ = ((MambaView)small.Layers[0].Mixer).InProjZ;
        var fullZ = ((MambaView)full.Layers[0].Mixer).InProjZ;
        using (no_grad())
        {
            fullZ[1, 2] = tensor(123.5f);
        }

        Assert.Equal(123.5f, smallZ[1, 2].item<float>());
    }

    [Fact]
    public void LogitsDumpHoldsTheIdsAndTheLogitsOfThePlainCheckpoint()
    {
        using var scope = NewDisposeScope();
        using var model = TinyModels.Create(elastic: false);
        var folder = _dir.Combine("plain");
        model.SaveCheckpoint(folder);
        var ids = TinyModels.RandomIds(2, 7, 50, seed: 8);
        var path = LogitsDump.Write(folder, ids);
        var (readIds, logits) = LogitsDump.Read(path);
        Assert.True(readIds.eq(ids).all().item<bool>());
        using var noGrad = no_grad();
        Assert.True(TinyModels.MaxAbsDiff(model.Forward(ids, "full"), logits) < 1e-6);
        using var checkpoint = CheckpointDirectory.Open(folder); // the dump beside the weights does not disturb the checkpoint
        Assert.Equal(ParameterCount.Of(model.Config), checkpoint.Manifest.Default.Params);
    }
}

