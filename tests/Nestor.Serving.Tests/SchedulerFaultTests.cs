using Microsoft.Extensions.Logging.Abstractions;
using Nestor.Checkpoint;
using Nestor.Serving.Engine;
using Nestor.Serving.Scheduling;

namespace Nestor.Serving.Tests;

/// <summary>
/// A forward pass that fails ends only the sequences of that pass (with "error") and frees their slots; the other
/// budgets go on. The failure is injected by a decorator over the real engine: a libtorch failure cannot be provoked
/// on demand here.
/// </summary>
[Collection(ServingCollection.Name)]
public sealed class SchedulerFaultTests(TinyCheckpoint checkpoint)
{
    private sealed class FaultInjectingEngine(IModelEngine inner) : DelegatingEngine(inner)
    {
        public string? FailDecodeOf { get; set; }

        public override float[][] Decode(string budget, IReadOnlyList<int> slots, IReadOnlyList<long> tokens)
        {
            if (budget == FailDecodeOf)
            {
                FailDecodeOf = null;
                throw new InvalidOperationException("injected engine failure");
            }

            return base.Decode(budget, slots, tokens);
        }
    }

    [Fact]
    public async Task AFailedPassEndsItsSequencesWithErrorAndFreesTheirSlots()
    {
        FaultInjectingEngine? engine = null;
        var metrics = new ServingMetrics();
        using var scheduler = new Scheduler(() =>
        {
            using var folder = CheckpointDirectory.Open(checkpoint.Path);
            return engine = new FaultInjectingEngine(TorchEngine.Load(folder, ["full", "b75", "b50"], null, slotsPerBudget: 1, maxSequenceLength: 64));
        }, new ByteTokenizer(256, 257), maxBatch: 1, maxQueue: 8, metrics, NullLogger.Instance);
        scheduler.Start();
        await scheduler.Loaded.WaitAsync(TimeSpan.FromSeconds(60));
        engine!.FailDecodeOf = "full";

        GenerationRequest Request(string budget) => new()
        {
            Budget = budget,
            Prompt = [256, 1, 2, 3],
            MaxTokens = 8,
            IgnoreEos = true,
            Sampling = new SamplingParams { Temperature = 0 },
        };

        var failed = scheduler.Submit(Request("full")).Sequence!;
        var other = scheduler.Submit(Request("b50")).Sequence!;
        var failedEnd = await LastAsync(failed);
        Assert.Equal(FinishReasons.Error, failedEnd.FinishReason);
        Assert.Equal(8, (await LastAsync(other)).CompletionTokens);

        // One slot per budget: this runs only because the failed sequence's slot was released.
        var after = await LastAsync(scheduler.Submit(Request("full")).Sequence!);
        Assert.Equal((FinishReasons.Length, 8), (after.FinishReason, after.CompletionTokens));
        Assert.Equal(1, metrics.Requests.WithLabels("full", "error").Value);
        await scheduler.StopAsync();
    }

    private static async Task<SequenceEvent> LastAsync(Sequence sequence)
    {
        SequenceEvent last = default;
        await foreach (var e in sequence.Events.ReadAllAsync().WithCancellation(new CancellationTokenSource(TimeSpan.FromSeconds(30)).Token))
        {
            last = e;
        }

        return last;
    }
}
