using System.Collections.Concurrent;
using System.Net;
using Microsoft.Extensions.Logging.Abstractions;
using Nestor.Checkpoint;
using Nestor.Serving.Engine;
using Nestor.Serving.Scheduling;

namespace Nestor.Serving.Tests;

/// <summary>
/// --max-prefill-tokens: a prompt longer than the per-step bound is prefilled in chunks over several steps, the
/// sequences already running decode in those steps, and the tokens are those of a prefill in one pass.
/// </summary>
[Collection(ServingCollection.Name)]
public sealed class ChunkedPrefillTests(TinyCheckpoint checkpoint)
{
    /// <summary>Records every pass of the real engine: (kind, slots, tokens per slot).</summary>
    private sealed class RecordingEngine(IModelEngine inner) : DelegatingEngine(inner)
    {
        public ConcurrentQueue<(string Kind, int[] Slots, int[] Tokens)> Passes { get; } = new();

        public override float[][] Prefill(string budget, IReadOnlyList<int> slots, IReadOnlyList<IReadOnlyList<long>> prompts)
        {
            Passes.Enqueue(("prefill", [.. slots], [.. prompts.Select(p => p.Count)]));
            return base.Prefill(budget, slots, prompts);
        }

        public override float[][] Decode(string budget, IReadOnlyList<int> slots, IReadOnlyList<long> tokens)
        {
            Passes.Enqueue(("decode", [.. slots], [.. tokens.Select(_ => 1)]));
            return base.Decode(budget, slots, tokens);
        }
    }

    [Fact]
    public async Task AChunkedPrefillGivesTheSameTokensAsOnePass()
    {
        await using var chunked = await TestServer.StartAsync(new ServeOptions
        {
            Checkpoint = checkpoint.Path,
            MaxBatch = 4,
            MaxPromptTokens = 64,
            MaxTokens = 32,
            MaxPrefillTokens = 5,
        });
        const string prompt = "a prompt of forty-odd bytes, so nine chunks";
        foreach (var budget in new[] { "full", "b50" })
        {
            // Greedy, and sampled with a seed: both must match the server that prefills in one pass.
            foreach (var (temperature, seed) in new[] { (0.0, 0), (1.0, 7) })
            {
                var request = new { model = $"tiny-elastic@{budget}", prompt, max_tokens = 24, ignore_eos = true, temperature, seed };
                var (response, inChunks) = await chunked.PostAsync("/v1/completions", request);
                Assert.Equal(HttpStatusCode.OK, response.StatusCode);
                var (_, inOnePass) = await checkpoint.Shared.PostAsync("/v1/completions", request);
                Assert.Equal(inOnePass.GetProperty("choices")[0].GetProperty("text").GetString(), inChunks.GetProperty("choices")[0].GetProperty("text").GetString());
                Assert.Equal(prompt.Length + 1, inChunks.GetProperty("usage").GetProperty("prompt_tokens").GetInt32());
            }
        }

        var promptTokens = await chunked.MetricAsync("nestor_prompt_tokens_total", "budget=\"full\"") + await chunked.MetricAsync("nestor_prompt_tokens_total", "budget=\"b50\"");
        Assert.Equal(4.0 * (prompt.Length + 1), promptTokens);
    }

    [Fact]
    public async Task ALongPromptJoiningARunningBatchIsPrefilledInChunksWhileTheBatchDecodes()
    {
        RecordingEngine? engine = null;
        using var scheduler = new Scheduler(() =>
        {
            using var folder = CheckpointDirectory.Open(checkpoint.Path);
            return engine = new RecordingEngine(TorchEngine.Load(folder, ["full", "b75", "b50"], null, slotsPerBudget: 2, maxSequenceLength: 400));
        }, new ByteTokenizer(256, 257), maxBatch: 2, maxQueue: 8, new ServingMetrics(), NullLogger.Instance, maxPrefillTokens: 4);
        scheduler.Start();
        await scheduler.Loaded.WaitAsync(TimeSpan.FromSeconds(60));

        GenerationRequest Request(int promptTokens, int maxTokens) => new()
        {
            Budget = "b50",
            Prompt = [256, .. Enumerable.Range(0, promptTokens - 1).Select(i => (long)(i % 200))],
            MaxTokens = maxTokens,
            IgnoreEos = true,
            Sampling = new SamplingParams { Temperature = 0 },
        };

        // A long-running sequence; once it streams, a 30-token prompt joins (8 chunks of at most 4 tokens).
        var running = scheduler.Submit(Request(3, 300)).Sequence!;
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        Assert.True(await running.Events.WaitToReadAsync(timeout.Token));
        engine!.Passes.Clear();
        var joining = scheduler.Submit(Request(30, 4)).Sequence!;
        var end = await LastAsync(joining, timeout.Token);
        running.Cancel();
        await LastAsync(running, timeout.Token);
        await scheduler.StopAsync();

        Assert.Equal((FinishReasons.Length, 4, 30), (end.FinishReason, end.CompletionTokens, end.PromptTokens));
        var passes = engine.Passes.ToList();
        var chunks = passes.Where(p => p.Kind == "prefill").ToList();
        Assert.Equal(8, chunks.Count);
        Assert.All(chunks, c => Assert.True(c.Tokens.Single() <= 4));
        Assert.Equal(30, chunks.Sum(c => c.Tokens.Single()));
        // Between the first and the last chunk, the running sequence decoded in every step.
        int first = passes.IndexOf(chunks[0]), last = passes.IndexOf(chunks[^1]);
        var decodesBetween = passes.Skip(first).Take(last - first).Count(p => p.Kind == "decode");
        Assert.True(decodesBetween >= chunks.Count - 1, $"{decodesBetween} decode passes during {chunks.Count} prefill chunks");
    }

    private static async Task<SequenceEvent> LastAsync(Sequence sequence, CancellationToken cancellationToken)
    {
        SequenceEvent last = default;
        await foreach (var e in sequence.Events.ReadAllAsync(cancellationToken))
        {
            last = e;
        }

        return last;
    }
}
