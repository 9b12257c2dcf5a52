using Microsoft.Extensions.Logging.Abstractions;
using Nestor.Checkpoint;
using Nestor.Serving.Engine;
using Nestor.Serving.Scheduling;
using Nestor.Testing;

namespace Nestor.Serving.Tests;

/// <summary>
/// The engine hears once per idle spell that no work is coming (TorchEngine gives the heap's free pages back then), not
/// while it has work and not over and over while idle.
/// </summary>
[Collection(ServingCollection.Name)]
public sealed class EngineIdleTests(TinyCheckpoint checkpoint)
{
    private sealed class CountingEngine(IModelEngine inner) : DelegatingEngine(inner)
    {
        private int _idle;

        public int IdleCalls => Volatile.Read(ref _idle);

        public override void Idle()
        {
            Interlocked.Increment(ref _idle);
            base.Idle();
        }
    }

    [Fact]
    public async Task TheEngineIsToldOncePerIdleSpell()
    {
        CountingEngine? engine = null;
        using var scheduler = new Scheduler(() =>
        {
            using var folder = CheckpointDirectory.Open(checkpoint.Path);
            return engine = new CountingEngine(TorchEngine.Load(folder, ["full", "b75", "b50"], null, slotsPerBudget: 1, maxSequenceLength: 64));
        }, new ByteTokenizer(256, 257), maxBatch: 1, maxQueue: 8, new ServingMetrics(), NullLogger.Instance);
        scheduler.Start();
        await scheduler.Loaded.WaitAsync(TimeSpan.FromSeconds(60));
        Assert.True(await Eventually.TrueAsync(() => Task.FromResult(engine!.IdleCalls == 1), TimeSpan.FromSeconds(30)));

        var request = new GenerationRequest
        {
            Budget = "b50",
            Prompt = [256, 1, 2, 3],
            MaxTokens = 8,
            IgnoreEos = true,
            Sampling = new SamplingParams { Temperature = 0 },
        };
        var sequence = scheduler.Submit(request).Sequence!;
        await foreach (var _ in sequence.Events.ReadAllAsync().WithCancellation(new CancellationTokenSource(TimeSpan.FromSeconds(30)).Token))
        {
        }

        // A second idle spell after the request: told once more, then not again however long it lasts.
        Assert.True(await Eventually.TrueAsync(() => Task.FromResult(engine!.IdleCalls == 2), TimeSpan.FromSeconds(30)));
        await Task.Delay(TimeSpan.FromMilliseconds(700));
        Assert.Equal(2, engine!.IdleCalls);
        await scheduler.StopAsync();
    }
}
