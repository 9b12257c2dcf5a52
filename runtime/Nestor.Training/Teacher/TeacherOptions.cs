using Nestor.Checkpoint;

namespace Nestor.Training.Teacher;

/// <summary>What <c>nestor train-teacher</c> trains: the model's shape and the run's length.</summary>
public sealed record TeacherOptions
{
    public required string Output { get; init; }

    public long Seed { get; init; } = 42;

    public int Steps { get; init; } = 600;

    public int BatchSize { get; init; } = 16;

    public int SequenceLength { get; init; } = 128;

    public double LearningRate { get; init; } = 3e-3;

    public int WarmupSteps { get; init; } = 30;

    public double WeightDecay { get; init; } = 0.01;

    public int LogEvery { get; init; } = 20;

    /// <summary>A checkpoint to continue from (its config replaces <see cref="Config"/>), or null for a fresh model.</summary>
    public string? InitFrom { get; init; }

    public int TestExamples { get; init; } = 200;

    /// <summary>The model's shape (see <see cref="TinyConfig"/>).</summary>
    public NemotronHConfig Config { get; init; } = TinyConfig();

    /// <summary>
    /// The shipped teacher's shape: 8 layers (4 Mamba-2, 3 MLP, 1 attention), d = 128, 8 Mamba heads × 32 in 2 groups,
    /// 4 query / 2 KV heads × 32, FFN 512, byte vocabulary (259).
    /// </summary>
    public static NemotronHConfig TinyConfig(int hiddenSize = 128, string pattern = "M-M*M-M-", int ffn = 512, int mambaHeads = 8) =>
        NemotronHConfig.Create(
            hybridOverridePattern: pattern, hiddenSize: hiddenSize, vocabSize: 259, numAttentionHeads: 4, numKeyValueHeads: 2,
            headDim: 32, intermediateSize: ffn, mambaNumHeads: mambaHeads, mambaHeadDim: 32, nGroups: 2, ssmStateSize: 16,
            chunkSize: 64, bosTokenId: 256, eosTokenId: 257, padTokenId: 258);
}
