using Nestor.Checkpoint;
using static TorchSharp.torch;

namespace Nestor.Kernels.Tests;

/// <summary>Tiny NemotronH models with every parameter random (norm weights, A, D and dt included).</summary>
internal static class TinyModels
{
    // 8 layers mixing all mixers; 2 Mamba groups of 4 heads (head dim 4, state 4), 2 KV heads × 2 query heads.
    public static NemotronHConfig Config(string pattern = "M-*M-M*-", int chunkSize = 8) => NemotronHConfig.Create(
        hybridOverridePattern: pattern, hiddenSize: 32, vocabSize: 50, numAttentionHeads: 4, numKeyValueHeads: 2,
        headDim: 8, intermediateSize: 48, mambaNumHeads: 8, mambaHeadDim: 4, nGroups: 2, ssmStateSize: 4,
        chunkSize: chunkSize);

    /// <summary>full; b75 cuts query heads within groups, width, FFN, one Mamba head per group and a Mamba layer;
    /// b50 cuts a KV group, more width, FFN, heads and layers.</summary>
    public static ElasticManifest Manifest(NemotronHConfig config) => ElasticManifest.Create(config, "tiny-elastic",
    [
        ElasticBudget.Full(config),
        ElasticBudget.Create(config, "b75", 24, 32, 3, 2, 2, [0, 1, 2, 3, 4, 6, 7]),
        ElasticBudget.Create(config, "b50", 16, 16, 2, 1, 1, [0, 2, 3, 4, 6]),
    ]);

    public static NemotronHForCausalLM Create(NemotronHConfig? config = null, bool elastic = true, ulong seed = 1, ScalarType dtype = ScalarType.Float32)
    {
        config ??= Config();
        var model = NemotronHForCausalLM.Create(config, elastic ? Manifest(config) : null, seed, dtype);
        Randomize(model, (int)seed);
        model.PrepareBudgets();
        return model;
    }

    /// <summary>Perturbs every tensor so that no weight is a constant (a slicing mistake then changes the logits).</summary>
    public static void Randomize(NemotronHForCausalLM model, int seed)
    {
        var generator = new Generator((ulong)seed + 1000, CPU);
        var hf = model.ExportHfTensors().ToDictionary(t => t.Name, t => t.Tensor, StringComparer.Ordinal);
        foreach (var (name, tensor) in hf)
        {
            var noise = randn(tensor.shape, generator: generator).to(tensor.dtype);
            if (name.EndsWith("norm.weight", StringComparison.Ordinal) || name.EndsWith(".D", StringComparison.Ordinal))
            {
                tensor.add_(noise.mul_(0.3));
            }
            else if (name.EndsWith("A_log", StringComparison.Ordinal) || name.EndsWith("dt_bias", StringComparison.Ordinal))
            {
                tensor.add_(noise.mul_(0.5));
            }
            else if (name.EndsWith("conv1d.weight", StringComparison.Ordinal) || name.EndsWith("conv1d.bias", StringComparison.Ordinal))
            {
                tensor.add_(noise.mul_(0.2));
            }
            else
            {
                tensor.add_(noise.mul_(0.05));
            }
        }

        model.LoadHfTensors(name => hf[name]);
    }

    public static Tensor RandomIds(int batch, int length, int vocab, int seed) =>
        randint(0, vocab, [batch, length], generator: new Generator((ulong)seed, CPU), dtype: ScalarType.Int64);

    public static double MaxAbsDiff(Tensor a, Tensor b) => (a.to(ScalarType.Float64) - b.to(ScalarType.Float64)).abs().max().item<double>();
}
