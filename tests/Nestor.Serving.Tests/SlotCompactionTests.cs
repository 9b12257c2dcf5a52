using Microsoft.Extensions.Logging.Abstractions;
using Nestor.Checkpoint;
using Nestor.Serving.Engine;
using Nestor.Serving.Scheduling;

namespace Nestor.Serving.Tests;

/// <summary>
/// When a sequence leaves, the budget's sequence in the highest slot moves into the freed one, so decode steps keep
/// consecutive slots (read in place by the kernels) and every sequence generates what it would have without moves.
/// </summary>
[Collection(ServingCollection.Name)]
public sealed class SlotCompactionTests(TinyCheckpoint checkpoint)
{
    private sealed class RecordingEngine(IModelEngine inner) : DelegatingEngine(inner)
    {
        public List<int[]> DecodeSlots { get; } = [];

        public List<(int From, int To)> Moves { get; } = [];

        public bool AllowMoves { get; set; } = true;

        public override float[][] Decode(string budget, IReadOnlyList<int> slots, IReadOnlyList<long> tokens)
        {
            DecodeSlots.Add([.. slots]);
            return base.Decode(budget, slots, tokens);
        }

        public override bool MoveSlot(int from, int to)
        {
            if (!AllowMoves)
            {
                return false;
            }

            Moves.Add((from, to));
            return base.MoveSlot(from, to);
        }
    }

    [Fact]
    public async Task ASequenceThatLeavesIsReplacedByTheLast_AndTheMovedOneGeneratesTheSame()
    {
        RecordingEngine? engine = null;
        using var scheduler = new Scheduler(() =>
        {
            using var folder = CheckpointDirectory.Open(checkpoint.Path);
            return engine = new RecordingEngine(TorchEngine.Load(folder, ["full", "b50"], null, slotsPerBudget: 4, maxSequenceLength: 64,
                StepThreads.LibTorch(1, StepThreads.DefaultWorkPerThread)));
        }, new ByteTokenizer(256, 257), maxBatch: 4, maxQueue: 8, new ServingMetrics(), NullLogger.Instance);
        scheduler.Start();
        await scheduler.Loaded.WaitAsync(TimeSpan.FromSeconds(60));

        GenerationRequest Request(int maxTokens, long first) => new()
        {
            Budget = "b50",
            Prompt = [256, first, 2, 3, 4],
            MaxTokens = maxTokens,
            IgnoreEos = true,
            Sampling = new SamplingParams { Temperature = 0 },
        };

        // Slots 4, 5, 6 (b50's block); the first leaves after 2 tokens and the one in slot 6 moves to slot 4.
        async Task<string[]> RunAsync()
        {
            var sequences = new[] { scheduler.Submit(Request(2, 10)).Sequence!, scheduler.Submit(Request(12, 20)).Sequence!, scheduler.Submit(Request(12, 30)).Sequence! };
            return await Task.WhenAll(sequences.Select(TextAsync));
        }

        engine!.AllowMoves = false;
        var unmoved = await RunAsync();
        engine.AllowMoves = true;
        engine.DecodeSlots.Clear();
        var moved = await RunAsync();

        Assert.Equal(unmoved, moved);
        Assert.Contains((6, 4), engine.Moves);
        Assert.All(engine.DecodeSlots, slots => Assert.Equal(Enumerable.Range(slots.Min(), slots.Length), slots.Order()));
        Assert.Contains(engine.DecodeSlots, slots => slots.Order().SequenceEqual([4, 5]));
        await scheduler.StopAsync();
    }

    private static async Task<string> TextAsync(Sequence sequence)
    {
        var text = new System.Text.StringBuilder();
        await foreach (var e in sequence.Events.ReadAllAsync().WithCancellation(new CancellationTokenSource(TimeSpan.FromSeconds(30)).Token))
        {
            text.Append(e.Text);
        }

        return text.ToString();
    }
}
