using System.Diagnostics;
using Nestor.Checkpoint;
using static TorchSharp.torch;

namespace Nestor.Kernels;

/// <summary>
/// A quick end-to-end run of the kernels (<c>make run</c> until the full demo lands): a tiny random elastic model
/// is written as a checkpoint and read back; every budget runs masked and sliced, loaded alone by partial reads,
/// and decodes a few tokens. Returns false when any two ways of running a budget disagree.
/// </summary>
public static class KernelSmoke
{
    public static bool Run(Action<string> log)
    {
        var config = NemotronHConfig.Create(
            hybridOverridePattern: "M-M*M-M-", hiddenSize: 64, vocabSize: 259, numAttentionHeads: 4, numKeyValueHeads: 2,
            headDim: 16, intermediateSize: 256, mambaNumHeads: 8, mambaHeadDim: 16, nGroups: 2, ssmStateSize: 16,
            chunkSize: 16, bosTokenId: 256, eosTokenId: 257, padTokenId: 258);
        var manifest = ElasticManifest.Create(config, "smoke-elastic",
        [
            ElasticBudget.Full(config),
            ElasticBudget.Create(config, "b75", 56, 192, 3, 2, 2, [0, 1, 2, 3, 4, 5, 6]),
            ElasticBudget.Create(config, "b50", 48, 128, 2, 1, 1, [0, 2, 3, 4, 5, 6]),
        ]);
        var folder = Path.Combine(Path.GetTempPath(), $"nestor-smoke-{Guid.NewGuid():N}");
        bool ok = true;
        try
        {
            using var model = NemotronHForCausalLM.Create(config, manifest, seed: 7);
            model.SaveCheckpoint(folder);
            using var checkpoint = CheckpointDirectory.Open(folder);
            log($"checkpoint {folder}: {checkpoint.Weights.Files.Count} safetensors file(s), {manifest.Budgets.Count} budgets, {config.HybridOverridePattern}");
            using var loaded = NemotronHForCausalLM.Load(checkpoint);
            using var noGrad = no_grad();
            var ids = randint(0, 256, [2, 48], generator: new Generator(3, CPU), dtype: ScalarType.Int64);
            foreach (var budget in manifest.BySize)
            {
                var sliced = loaded.Forward(ids, budget.Name);
                var masked = loaded.Forward(ids, ElasticMasks.FromBudget(config, budget));
                using var alone = NemotronHForCausalLM.Load(checkpoint, loadOnly: budget.Name);
                var partial = alone.Forward(ids, budget.Name);
                double maskedDiff = MaxDiff(masked, sliced), aloneDiff = MaxDiff(partial, sliced);
                double tps = DecodeRate(loaded, budget.Name);
                bool agree = maskedDiff < 1e-4 && aloneDiff < 1e-4;
                ok &= agree;
                log($"{budget.Name,-5} params {budget.Params,9:N0} ({(double)budget.Params / manifest.Default.Params:P0})  masked vs sliced {maskedDiff:E1}  " +
                    $"loaded alone {aloneDiff:E1}  decode b4 {tps:F0} tok/s  {(agree ? "ok" : "MISMATCH")}");
            }
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }

        return ok;
    }

    private static double MaxDiff(Tensor a, Tensor b) => (a - b).abs().max().item<float>();

    private static double DecodeRate(NemotronHForCausalLM model, string budget)
    {
        const int batch = 4, steps = 32;
        using var cache = model.CreateCache(batch, 8 + steps);
        var slots = Enumerable.Range(0, batch).Select(_ => cache.Allocate(budget)).ToArray();
        var prompt = (IReadOnlyList<long>)[256, 72, 105, 33, 32, 50, 43, 50];
        using var first = model.Prefill(budget, cache, slots, [.. Enumerable.Repeat(prompt, batch)]);
        var next = first.argmax(-1).data<long>().ToArray();
        var times = new List<double>();
        for (int i = 0; i < steps; i++)
        {
            long start = Stopwatch.GetTimestamp();
            using var logits = model.Decode(budget, cache, slots, next);
            next = logits.argmax(-1).data<long>().ToArray();
            times.Add(Stopwatch.GetElapsedTime(start).TotalSeconds);
        }

        // The median step, leaving out the first few (one-time preparation of the budget's decode constants).
        var measured = times.Skip(4).Order().ToList();
        return batch / measured[measured.Count / 2];
    }
}
