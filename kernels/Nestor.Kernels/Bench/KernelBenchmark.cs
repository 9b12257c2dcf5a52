using System.Diagnostics;
using Nestor.Checkpoint;
using static TorchSharp.torch;

namespace Nestor.Kernels;

/// <summary>Figures for one budget.</summary>
public sealed record BudgetFigures(
    string Budget,
    long Params,
    double ParamRatio,
    double PrefillTpsBatch1,
    double PrefillTpsBatch8,
    double DecodeTpsBatch1,
    double DecodeTpsBatch8);

/// <summary>What <see cref="KernelBenchmark.Run"/> measured.</summary>
public sealed record KernelBenchmarkResult(
    string Config,
    int Threads,
    IReadOnlyList<BudgetFigures> Budgets,
    double SwitchP50Ms,
    double SwitchP99Ms)
{
    public BudgetFigures Full => Budgets[0];

    public BudgetFigures Smallest => Budgets[^1];

    public double SpeedupSmallestVsFull => Smallest.DecodeTpsBatch8 / Full.DecodeTpsBatch8;
}

/// <summary>Settings of the kernel benchmark (defaults: the d=256, 8-layer model).</summary>
public sealed record KernelBenchmarkOptions
{
    public int Threads { get; init; } = Math.Max(1, Environment.ProcessorCount);

    public int PromptTokens { get; init; } = 256;

    public int DecodeSteps { get; init; } = 64;

    public int Repeats { get; init; } = 5;

    public int Switches { get; init; } = 1000;

    public ulong Seed { get; init; } = 1;
}

/// <summary>
/// <c>nestor bench kernels</c>: prefill and decode throughput of every budget of a small elastic model, and the time
/// to switch the active budget. The model is random (throughput does not depend on the values).
/// </summary>
public static class KernelBenchmark
{
    /// <summary>
    /// d = 256, 8 layers (4 Mamba, 3 MLP, 1 attention), 3 nested budgets of about 100%, 75% and 50% of the parameters.
    /// The SSM state size (16) keeps the ratio of SSM-state to weight bytes per Mamba layer at batch 8 near the 12B's
    /// (about 1:7); a state of 128 at d = 256 would make the state, not the weights, dominate every step.
    /// </summary>
    public static (NemotronHConfig Config, ElasticManifest Manifest) BenchModel()
    {
        var config = NemotronHConfig.Create(
            hybridOverridePattern: "M-M*M-M-", hiddenSize: 256, vocabSize: 512, numAttentionHeads: 8, numKeyValueHeads: 2,
            headDim: 32, intermediateSize: 1024, mambaNumHeads: 16, mambaHeadDim: 32, nGroups: 2, ssmStateSize: 16,
            chunkSize: 64, bosTokenId: 256, eosTokenId: 257, padTokenId: 258);
        var manifest = ElasticManifest.Create(config, "bench-elastic",
        [
            ElasticBudget.Full(config),
            ElasticBudget.Create(config, "b75", 224, 768, 7, 2, 8, [0, 1, 2, 3, 4, 5, 6, 7]),
            // Cut like Nemotron-3-Nano-4B was cut from the 9B: a quarter of the layers and of the Mamba heads, some width.
            ElasticBudget.Create(config, "b50", 224, 768, 6, 2, 4, [0, 1, 2, 3, 4, 5]),
        ]);
        return (config, manifest);
    }

    /// <summary>
    /// Runs the benchmark. Budgets are measured in turn within each round (so a busy machine slows them alike); after a
    /// warm-up round, every prefill call and every decode step is timed, and each figure is tokens per second at the
    /// median duration (decode: batch / median step time, as time-per-output-token is usually reported).
    /// </summary>
    public static KernelBenchmarkResult Run(KernelBenchmarkOptions options, Action<string>? log = null)
    {
        log ??= _ => { };
        set_num_threads(options.Threads);
        var (config, manifest) = BenchModel();
        using var model = NemotronHForCausalLM.Create(config, manifest, options.Seed);
        model.PrepareBudgets();
        using var inference = inference_mode();
        var random = new Random((int)options.Seed);
        var budgets = manifest.BySize;
        var runs = budgets.Select(b => new[]
        {
            new Measurement(model, model.Prepared(b.Name), 1, options, random),
            new Measurement(model, model.Prepared(b.Name), 8, options, random),
        }).ToArray();
        // Per budget: durations of prefill b1, prefill b8, decode steps b1, decode steps b8.
        var seconds = budgets.Select(_ => Enumerable.Range(0, 4).Select(_ => new List<double>()).ToArray()).ToArray();
        for (int round = 0; round <= options.Repeats; round++)
        {
            for (int i = 0; i < budgets.Count; i++)
            {
                IReadOnlyList<double>[] figures = [[runs[i][0].Prefill()], [runs[i][1].Prefill()], runs[i][0].Decode(), runs[i][1].Decode()];
                for (int f = 0; f < figures.Length && round > 0; f++)
                {
                    seconds[i][f].AddRange(figures[f]);
                }
            }
        }

        double Rate(int budget, int figure, double tokens) => tokens / Median(seconds[budget][figure]);

        var rows = new List<BudgetFigures>();
        for (int i = 0; i < budgets.Count; i++)
        {
            var row = new BudgetFigures(budgets[i].Name, budgets[i].Params, (double)budgets[i].Params / manifest.Default.Params,
                Rate(i, 0, options.PromptTokens), Rate(i, 1, 8.0 * options.PromptTokens), Rate(i, 2, 1), Rate(i, 3, 8));
            rows.Add(row);
            log($"{row.Budget,-5} params {row.Params,9:N0} ({row.ParamRatio,4:P0})  prefill b1 {row.PrefillTpsBatch1,6:F0} tok/s  b8 {row.PrefillTpsBatch8,6:F0} tok/s  " +
                $"decode b1 {row.DecodeTpsBatch1,5:F0} tok/s  b8 {row.DecodeTpsBatch8,5:F0} tok/s");
            foreach (var run in runs[i])
            {
                run.Dispose();
            }
        }

        var (p50, p99) = Switch(model, manifest, options.Switches);
        log($"budget switch over {options.Switches} switches: p50 {p50 * 1000:F2} µs, p99 {p99 * 1000:F2} µs");
        return new KernelBenchmarkResult(
            $"d={config.HiddenSize} layers={config.HybridOverridePattern} ssm_state={config.SsmStateSize} vocab={config.VocabSize} fp32 CPU",
            options.Threads, rows, p50, p99);
    }

    /// <summary>
    /// Writes the bench model (random weights, fp32) as an elastic checkpoint, slices every budget into
    /// <c>sliced-&lt;budget&gt;</c> plain checkpoints and dumps our logits beside each (<see cref="LogitsDump"/>). Each of
    /// <paramref name="checkpoints"/> (trained elastic or plain checkpoints) is sliced the same way into
    /// <c>&lt;folder name&gt;-sliced-&lt;budget&gt;</c>.
    /// </summary>
    public static IReadOnlyList<string> WriteHfCheck(string folder, IReadOnlyList<string>? checkpoints = null, ulong seed = 1)
    {
        var (config, manifest) = BenchModel();
        var elastic = Path.Combine(folder, "elastic");
        using (var model = NemotronHForCausalLM.Create(config, manifest, seed))
        {
            model.SaveCheckpoint(elastic);
        }

        var written = new List<string> { elastic };
        written.AddRange(SliceAndDump(elastic, folder, "sliced-", seed));
        foreach (var path in checkpoints ?? [])
        {
            written.AddRange(SliceAndDump(path, folder, Path.GetFileName(Path.TrimEndingDirectorySeparator(path)) + "-sliced-", seed));
        }

        return written;
    }

    // Slices every budget of the checkpoint into folder/<prefix><budget> and dumps our logits on random ids there.
    private static IEnumerable<string> SliceAndDump(string checkpointPath, string folder, string prefix, ulong seed)
    {
        using var checkpoint = CheckpointDirectory.Open(checkpointPath);
        using var ids = randint(0, checkpoint.Config.VocabSize, [2, 300], generator: new Generator(seed, CPU), dtype: ScalarType.Int64);
        var written = new List<string>();
        foreach (var budget in checkpoint.Manifest.Budgets)
        {
            var sliced = Path.Combine(folder, prefix + budget.Name);
            CheckpointSlicer.WriteBudget(checkpoint, budget.Name, sliced);
            written.Add(LogitsDump.Write(sliced, ids));
        }

        return written;
    }

    // Times Activate() alternating over every budget; returns p50 and p99 in milliseconds.
    private static (double P50, double P99) Switch(NemotronHForCausalLM model, ElasticManifest manifest, int switches)
    {
        var names = manifest.Budgets.Select(b => b.Name).ToArray();
        var samples = new double[switches];
        for (int i = 0; i < switches + 100; i++)
        {
            long start = Stopwatch.GetTimestamp();
            var active = model.Activate(names[i % names.Length]);
            long end = Stopwatch.GetTimestamp();
            if (active.Name != names[i % names.Length])
            {
                throw new InvalidOperationException("the active budget did not switch");
            }

            if (i >= 100)
            {
                samples[i - 100] = (end - start) * 1000.0 / Stopwatch.Frequency;
            }
        }

        Array.Sort(samples);
        return (Percentile(samples, 0.50), Percentile(samples, 0.99));
    }

    private static double Median(List<double> values)
    {
        values.Sort();
        return values.Count % 2 == 1 ? values[values.Count / 2] : (values[(values.Count / 2) - 1] + values[values.Count / 2]) / 2;
    }

    private static double Percentile(double[] sorted, double q) => sorted[Math.Min(sorted.Length - 1, (int)Math.Ceiling(q * sorted.Length) - 1)];

    private static long[] Greedy(Tensor logits)
    {
        using (logits)
        using (var next = logits.argmax(-1))
        {
            return next.data<long>().ToArray();
        }
    }

    private static long[] RandomTokens(Random random, int count, int vocab) => [.. Enumerable.Range(0, count).Select(_ => (long)random.Next(vocab))];

    /// <summary>Prefill and decode measurements of one budget at one batch size, each with its own cache.</summary>
    private sealed class Measurement : IDisposable
    {
        private const int DecodePrompt = 16;
        private readonly NemotronHForCausalLM _model;
        private readonly BudgetView _view;
        private readonly int _batch;
        private readonly KernelBenchmarkOptions _options;
        private readonly InferenceCache _prefillCache, _decodeCache;
        private readonly List<IReadOnlyList<long>> _prompts;
        private readonly int[] _decodeSlots;
        private long[] _next;

        public Measurement(NemotronHForCausalLM model, BudgetView view, int batch, KernelBenchmarkOptions options, Random random)
        {
            (_model, _view, _batch, _options) = (model, view, batch, options);
            int vocab = model.Config.VocabSize;
            _prompts = [.. Enumerable.Range(0, batch).Select(_ => (IReadOnlyList<long>)RandomTokens(random, options.PromptTokens, vocab))];
            _prefillCache = model.CreateCache(batch, options.PromptTokens);
            _decodeCache = model.CreateCache(batch, DecodePrompt + ((options.Repeats + 1) * options.DecodeSteps));
            _decodeSlots = [.. Enumerable.Range(0, batch).Select(_ => _decodeCache.Allocate(view.Name))];
            var prompts = Enumerable.Range(0, batch).Select(_ => (IReadOnlyList<long>)RandomTokens(random, DecodePrompt, vocab)).ToList();
            _next = Greedy(model.Prefill(view, _decodeCache, _decodeSlots, prompts));
        }

        /// <summary>Seconds to prefill a batch of full-length prompts into fresh slots.</summary>
        public double Prefill()
        {
            var slots = Enumerable.Range(0, _batch).Select(_ => _prefillCache.Allocate(_view.Name)).ToArray();
            var watch = Stopwatch.StartNew();
            _ = Greedy(_model.Prefill(_view, _prefillCache, slots, _prompts));
            double seconds = watch.Elapsed.TotalSeconds;
            foreach (var slot in slots)
            {
                _prefillCache.Release(slot);
            }

            return seconds;
        }

        /// <summary>Seconds of each of DecodeSteps greedy steps (decode → logits → argmax → next input).</summary>
        public IReadOnlyList<double> Decode()
        {
            var steps = new double[_options.DecodeSteps];
            for (int step = 0; step < steps.Length; step++)
            {
                long start = Stopwatch.GetTimestamp();
                _next = Greedy(_model.Decode(_view, _decodeCache, _decodeSlots, _next));
                steps[step] = Stopwatch.GetElapsedTime(start).TotalSeconds;
            }

            return steps;
        }

        public void Dispose()
        {
            _prefillCache.Dispose();
            _decodeCache.Dispose();
        }
    }
}
