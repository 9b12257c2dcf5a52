using Nestor.Checkpoint;
using Nestor.Kernels;

namespace Nestor.Serving;

/// <summary>
/// A randomly initialised elastic checkpoint folder (config.json, model.safetensors, elastic.json with the budgets
/// full, b75 and b50, checksums.sha256), written through the kernels and checkpoint libraries. It stands in for the
/// trainer's tiny-elastic until that ships; its outputs are random bytes.
/// </summary>
public static class TestModel
{
    public const string Name = "tiny-elastic";

    public enum Size
    {
        /// <summary>d = 64, 4 layers (M*M-), vocab 260: for tests (a fraction of a second per step).</summary>
        Tiny,

        /// <summary>The kernels benchmark's model (d = 256, 8 layers M-M*M-M-, 3.7 M parameters, 15 MB): for make serve.</summary>
        Bench,

        /// <summary>
        /// d = 512, 8 layers M-M*M-M-, 14 M parameters (56 MB): for bench-serve. Its weights do not fit in a CPU's caches,
        /// as no real model's do, so a one-sequence decode step is bound by reading them (the cost batching shares);
        /// the 15 MB model can stay in a large last-level cache and measures the cache instead.
        /// </summary>
        Serve,
    }

    /// <summary>Writes the model into <paramref name="folder"/> (created; must be empty) and returns its digest.</summary>
    public static string Write(string folder, Size size = Size.Tiny, ulong seed = 1)
    {
        var (config, manifest) = Of(size);
        Directory.CreateDirectory(folder);
        if (Directory.EnumerateFileSystemEntries(folder).Any())
        {
            throw new IOException($"{folder}: not empty");
        }

        using var model = NemotronHForCausalLM.Create(config, manifest, seed);
        model.SaveCheckpoint(folder);
        return ContentDigest.Write(folder);
    }

    /// <summary>Writes the model as a published checkpoint under <paramref name="volume"/> (checkpoints/tiny-elastic/sha256-…).</summary>
    public static PublishedCheckpoint Publish(string volume, Size size = Size.Tiny, ulong seed = 1)
    {
        var staging = CheckpointPublisher.CreateStaging(Path.Combine(volume, "checkpoints", Name));
        var (config, manifest) = Of(size);
        using (var model = NemotronHForCausalLM.Create(config, manifest, seed))
        {
            model.SaveCheckpoint(staging);
        }

        return CheckpointPublisher.Publish(staging);
    }

    private static (NemotronHConfig, ElasticManifest) Of(Size size) => size switch
    {
        Size.Tiny => Tiny(),
        Size.Bench => Bench(),
        Size.Serve => Serve(),
        _ => throw new ArgumentOutOfRangeException(nameof(size), size, "unknown test model size"),
    };

    private static (NemotronHConfig, ElasticManifest) Tiny()
    {
        var config = NemotronHConfig.Create(
            hybridOverridePattern: "M*M-", hiddenSize: 64, vocabSize: 260, numAttentionHeads: 4, numKeyValueHeads: 2,
            headDim: 16, intermediateSize: 128, mambaNumHeads: 8, mambaHeadDim: 16, nGroups: 2, ssmStateSize: 16,
            chunkSize: 32, bosTokenId: 256, eosTokenId: 257, padTokenId: 258);
        var manifest = ElasticManifest.Create(config, Name,
        [
            ElasticBudget.Full(config),
            ElasticBudget.Create(config, "b75", 56, 96, 3, 2, 4, [0, 1, 2, 3]),
            ElasticBudget.Create(config, "b50", 48, 64, 2, 2, 2, [0, 1, 2]),
        ]);
        return (config, manifest);
    }

    private static (NemotronHConfig, ElasticManifest) Serve()
    {
        var config = NemotronHConfig.Create(
            hybridOverridePattern: "M-M*M-M-", hiddenSize: 512, vocabSize: 512, numAttentionHeads: 8, numKeyValueHeads: 2,
            headDim: 64, intermediateSize: 2048, mambaNumHeads: 32, mambaHeadDim: 32, nGroups: 2, ssmStateSize: 16,
            chunkSize: 64, bosTokenId: 256, eosTokenId: 257, padTokenId: 258);
        var manifest = ElasticManifest.Create(config, Name,
        [
            ElasticBudget.Full(config),
            ElasticBudget.Create(config, "b75", 448, 1536, 14, 2, 8, [0, 1, 2, 3, 4, 5, 6, 7]),
            // As the kernels benchmark's b50: a quarter of the layers and of the Mamba heads, some width.
            ElasticBudget.Create(config, "b50", 448, 1536, 12, 2, 4, [0, 1, 2, 3, 4, 5]),
        ]);
        return (config, manifest);
    }

    private static (NemotronHConfig, ElasticManifest) Bench()
    {
        var (config, manifest) = KernelBenchmark.BenchModel();
        return (config, ElasticManifest.Create(config, Name, manifest.Budgets));
    }
}
