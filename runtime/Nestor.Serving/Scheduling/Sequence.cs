using System.Diagnostics;
using System.Threading.Channels;
using Nestor.Serving.Engine;

namespace Nestor.Serving.Scheduling;

/// <summary>
/// One request inside the scheduler: its tokens, its slot while running, and the channel through which it streams
/// text to the API layer. Everything but <see cref="Cancel"/> and the reader is used by the engine thread only.
/// </summary>
public sealed class Sequence
{
    private readonly Channel<SequenceEvent> _events = Channel.CreateUnbounded<SequenceEvent>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
    private readonly ITokenStreamDecoder _decoder;
    private readonly StopMatcher _stops;
    private volatile bool _cancelled;
    private bool _stoppedOnString;

    internal Sequence(GenerationRequest request, string servedBudget, ITokenizer tokenizer, Action wake)
    {
        Request = request;
        Budget = servedBudget;
        Sampler = new Sampler(request.Sampling);
        _decoder = tokenizer.NewStreamDecoder();
        _stops = new StopMatcher(request.Stop);
        EosTokenId = tokenizer.EosTokenId;
        Wake = wake;
        Arrival = Stopwatch.GetTimestamp();
    }

    public GenerationRequest Request { get; }

    /// <summary>The budget that serves this sequence (smaller than the requested one when degraded).</summary>
    public string Budget { get; }

    public bool Degraded => Budget != Request.Budget;

    public ChannelReader<SequenceEvent> Events => _events.Reader;

    public bool IsCancelled => _cancelled;

    internal Sampler Sampler { get; }

    internal int? EosTokenId { get; }

    internal Action Wake { get; }

    internal long Arrival { get; }

    internal long FirstTokenAt { get; set; }

    internal long LastTokenAt { get; set; }

    internal int Slot { get; set; } = -1;

    /// <summary>Prompt tokens already in the slot's cache (less than the prompt while a chunked prefill goes on).</summary>
    internal int Prefilled { get; set; }

    internal long LastToken { get; set; }

    internal int Generated { get; set; }

    internal bool Finished { get; private set; }

    /// <summary>The client went away: the scheduler frees the slot at its next step.</summary>
    public void Cancel()
    {
        _cancelled = true;
        Wake();
    }

    /// <summary>Takes a sampled token; returns the finish reason when the sequence is done.</summary>
    internal string? Accept(long token, int maxSequenceLength)
    {
        Generated++;
        LastToken = token;
        if (!Request.IgnoreEos && token == EosTokenId)
        {
            return FinishReasons.Stop;
        }

        var (emit, stopped) = _stops.Add(_decoder.Add(token));
        if (emit.Length > 0)
        {
            _events.Writer.TryWrite(new SequenceEvent(emit));
        }

        if (stopped)
        {
            _stoppedOnString = true;
            return FinishReasons.Stop;
        }

        return Generated >= Request.MaxTokens || Request.Prompt.Count + Generated >= maxSequenceLength ? FinishReasons.Length : null;
    }

    internal void Finish(string reason)
    {
        if (Finished)
        {
            return;
        }

        Finished = true;
        if (reason is FinishReasons.Length or FinishReasons.Stop && !_stoppedOnString)
        {
            var rest = _stops.Flush() + _decoder.Flush();
            if (rest.Length > 0)
            {
                _events.Writer.TryWrite(new SequenceEvent(rest));
            }
        }

        _events.Writer.TryWrite(new SequenceEvent("", reason, Request.Prompt.Count, Generated));
        _events.Writer.TryComplete();
    }
}
