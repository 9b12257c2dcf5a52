using Nestor.Checkpoint;
using Nestor.Kernels;

namespace Nestor.Training.Tests;

/// <summary>A randomly initialised tiny NemotronH (every layer kind) written as a plain checkpoint: fast stand-in for a teacher.</summary>
public static class TinyTeacher
{
    public static NemotronHConfig Config() => NemotronHConfig.Create(
        hybridOverridePattern: "M-*M-", hiddenSize: 32, vocabSize: 259, numAttentionHeads: 4, numKeyValueHeads: 2, headDim: 8,
        intermediateSize: 64, mambaNumHeads: 8, mambaHeadDim: 8, nGroups: 2, ssmStateSize: 8, chunkSize: 16,
        bosTokenId: 256, eosTokenId: 257, padTokenId: 258);

    public static string Write(string folder, ulong seed = 3)
    {
        using var model = NemotronHForCausalLM.Create(Config(), seed: seed);
        model.SaveCheckpoint(folder);
        ContentDigest.Write(folder);
        return folder;
    }

    /// <summary>A configuration of a few steps over the tiny teacher at <c>teacher</c> under the volume root.</summary>
    public static string ConfigYaml(int stage1Steps = 4, int stage2Steps = 4, int checkpointInterval = 2, string extra = "") => $"""
        apiVersion: nestor.dev/v1alpha1
        kind: CompressionRun
        metadata:
          name: tiny-test
        spec:
          parentModel:
            checkpoint:
              path: teacher
          budgets:
          - name: full
            targetFraction: 1.0
          - name: b60
            targetFraction: 0.6
          - name: b40
            targetFraction: 0.4
          dataset:
            builtin:
              task: arith-chains
              options:
                testExamples: "8"
          importance:
            calibrationSamples: 4
            sequenceLength: 32
          curriculum:
            stages:
            - name: stage1
              steps: {stage1Steps}
              sequenceLength: 32
            - name: stage2
              steps: {stage2Steps}
              sequenceLength: 48
              budgetWeights: [0.5, 0.3, 0.2]
          optimizer:
            learningRate: 0.001
            batchSize: 2
            seed: 5
          output:
            elasticModelRef:
              name: tiny-elastic
          checkpointIntervalSteps: {checkpointInterval}
        {extra}
        """;
}
