using System.Diagnostics;
using Nestor.Checkpoint;
using Nestor.Serving.Engine;

namespace Nestor.Serving.Bench;

/// <summary>
/// `nestor bench serve --checkpoint DIR --steps`: the engine alone, without HTTP. Times a prefill of 1 and of 16
/// prompts, decode steps at batch 1 and 16 (slots in one range and scattered), and sampling of a step's rows, so the
/// cost of a step at batch 16 against batch 1 can be read apart from the server around it.
/// </summary>
public static class StepProfile
{
    /// <param name="threads">the largest steps' intra-op threads (0: the processors this process may use).</param>
    /// <param name="workPerThread">as the server's --work-per-thread (in parameter-tokens).</param>
    public static void Run(string folder, int threads, long workPerThread, (int Min, int Max) promptTokens, int outputTokens, Action<string> log)
    {
        var stepThreads = StepThreads.LibTorch(threads > 0 ? threads : Environment.ProcessorCount, workPerThread);
        // The server's malloc setting (a fixed mmap threshold), so the figures are the server's.
        GlibcMalloc.FixMmapThreshold(GlibcMalloc.ServerThreshold);

        using var checkpoint = CheckpointDirectory.Open(folder);
        var full = checkpoint.Manifest.Default.Name;
        var budgets = checkpoint.Manifest.BySize.Select(b => b.Name).ToList();
        // 32 slots per budget: the scattered profile holds every other one of 32.
        using var engine = TorchEngine.Load(checkpoint, budgets, null, 32, promptTokens.Max + outputTokens + 1, stepThreads);
        var random = new Random(1);
        IReadOnlyList<long> Prompt() => [.. Enumerable.Range(0, random.Next(promptTokens.Min, promptTokens.Max + 1)).Select(_ => (long)random.Next(0, 256))];

        foreach (var budget in budgets)
        {
            log($"== budget {budget} (intra-op threads up to {stepThreads.MaxThreads}, one per {stepThreads.WorkPerThread >> 20} M parameter-tokens of a step)");
            foreach (int batch in new[] { 1, 16, 1, 16 })
            {
                Profile(engine, budget, batch, scattered: false, Prompt, outputTokens, stepThreads, log);
            }

            Profile(engine, budget, 16, scattered: true, Prompt, outputTokens, stepThreads, log);
            if (budget != full)
            {
                break;
            }
        }
    }

    private static void Profile(TorchEngine engine, string budget, int batch, bool scattered, Func<IReadOnlyList<long>> prompt, int steps, StepThreads threads,
        Action<string> log)
    {
        // Scattered: every other slot of 2·batch (as when sequences that left free slots between the running ones).
        var held = Enumerable.Range(0, scattered ? 2 * batch : batch).Select(_ => engine.AllocateSlot(budget)).ToList();
        var slots = scattered ? held.Where((_, i) => i % 2 == 1).ToList() : held;
        if (scattered)
        {
            foreach (var s in held.Where((_, i) => i % 2 == 0))
            {
                engine.ReleaseSlot(s);
            }
        }

        var prompts = slots.Select(_ => prompt()).ToList();
        var samplers = slots.Select((_, i) => new Sampler(new SamplingParams { Seed = i })).ToList();
        var watch = Stopwatch.StartNew();
        var logits = engine.Prefill(budget, slots, prompts);
        double prefillMs = watch.Elapsed.TotalMilliseconds;
        int prefillThreads = threads.Current;
        double decodeMs = 0, sampleMs = 0;
        var stepMs = new List<double>();
        var tokens = new long[slots.Count];
        for (int step = 0; step < steps; step++)
        {
            watch.Restart();
            for (int i = 0; i < slots.Count; i++)
            {
                tokens[i] = samplers[i].Next(logits[i]);
            }

            sampleMs += watch.Elapsed.TotalMilliseconds;
            watch.Restart();
            logits = engine.Decode(budget, slots, tokens);
            decodeMs += watch.Elapsed.TotalMilliseconds;
            stepMs.Add(watch.Elapsed.TotalMilliseconds);
        }

        foreach (var s in slots)
        {
            engine.ReleaseSlot(s);
        }

        int promptTotal = prompts.Sum(p => p.Count);
        log($"batch {batch,2}{(scattered ? " scattered" : "")}: prefill {promptTotal} tokens {prefillMs:F1} ms ({prefillThreads} threads); decode {decodeMs / steps:F2} ms/step ({threads.Current} threads) (median {stepMs.Order().ElementAt(steps / 2):F2}, min {stepMs.Min():F2}), sampling {sampleMs / steps:F3} ms/step; " +
            $"{batch * steps / ((prefillMs + decodeMs + sampleMs) / 1000):F0} tok/s over prefill + {steps} steps");
    }
}
