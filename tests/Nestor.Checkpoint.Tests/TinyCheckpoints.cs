using Nestor.Checkpoint.Safetensors;

namespace Nestor.Checkpoint.Tests;

/// <summary>Small configs, manifests and checkpoints with random content, written with the real writer.</summary>
internal static class TinyCheckpoints
{
    // 8 layers mixing all three mixers; 2 Mamba groups of 4 heads, 2 KV heads with 2 query heads each.
    public static NemotronHConfig Config(string torchDtype = "float32") => NemotronHConfig.Create(
        hybridOverridePattern: "M-*M-M*-", hiddenSize: 32, vocabSize: 64, numAttentionHeads: 4, numKeyValueHeads: 2,
        headDim: 8, intermediateSize: 48, mambaNumHeads: 8, mambaHeadDim: 4, nGroups: 2, ssmStateSize: 4,
        chunkSize: 8, torchDtype: torchDtype);

    public static ElasticManifest Manifest(NemotronHConfig config) => ElasticManifest.Create(config, "tiny-elastic",
    [
        ElasticBudget.Full(config),
        ElasticBudget.Create(config, "b75", 24, 32, 3, 2, 2, [0, 1, 2, 3, 4, 6, 7]),
        ElasticBudget.Create(config, "b50", 16, 16, 2, 1, 1, [0, 2, 3, 4, 6]),
    ], layerRanking: [0, 2, 3, 6, 4, 1, 7, 5]);

    /// <summary>Writes config.json, elastic.json (unless null) and random weights; returns the folder.</summary>
    public static string Write(string folder, NemotronHConfig config, ElasticManifest? manifest, int seed = 1,
        long maxShardBytes = SafetensorsWriter.DefaultMaxShardBytes)
    {
        Directory.CreateDirectory(folder);
        config.Save(Path.Combine(folder, NemotronHConfig.FileName));
        manifest?.Save(Path.Combine(folder, ElasticManifest.FileName));
        var random = new Random(seed);
        var tensors = TensorLayout.For(config).Select(spec =>
        {
            var bytes = new byte[spec.ElementCount * config.DType.Size()];
            random.NextBytes(bytes);
            return TensorToWrite.FromBytes(spec.Name, config.DType, spec.Shape, bytes);
        }).ToList();
        SafetensorsWriter.WriteCheckpoint(folder, tensors, maxShardBytes);
        return folder;
    }
}
