using System.Collections.Concurrent;
using System.Text.Json.Nodes;

namespace Nestor.ApiServer.Faults;

/// <summary>Which requests a fault applies to: any of the given verbs and resources (null = any).</summary>
public sealed record RequestMatch(string? Verb = null, string? Resource = null, string? Namespace = null, string? Subresource = null)
{
    public static readonly RequestMatch Any = new();

    internal bool Matches(string verb, string resource, string ns, string? subresource) =>
        (Verb is null || string.Equals(Verb, verb, StringComparison.OrdinalIgnoreCase)) &&
        (Resource is null || string.Equals(Resource, resource, StringComparison.OrdinalIgnoreCase)) &&
        (Namespace is null || Namespace == ns) &&
        (Subresource is null || Subresource == subresource);
}

/// <summary>An error answered instead of serving a request.</summary>
public sealed record InjectedError(int StatusCode, int? RetryAfterSeconds);

/// <summary>
/// Fault injection for tests, in process (this class) and over HTTP (<c>/_nestor/faults</c>): answer 5xx or
/// 429 for the next N matching requests, delay responses, drop every open watch, compact the watch history.
/// Faults apply to resource requests (not discovery, OpenAPI or the admin endpoints).
/// </summary>
public sealed class FaultInjector
{
    private sealed class ErrorRule(RequestMatch match, int count, InjectedError error)
    {
        public RequestMatch Match { get; } = match;

        public InjectedError Error { get; } = error;

        public int Remaining = count;
    }

    private sealed class DelayRule(RequestMatch match, int count, TimeSpan delay)
    {
        public RequestMatch Match { get; } = match;

        public TimeSpan Delay { get; } = delay;

        public int Remaining = count;
    }

    private readonly ConcurrentQueue<ErrorRule> _errors = new();
    private readonly ConcurrentQueue<DelayRule> _delays = new();
    private readonly Func<bool, int> _dropWatches;
    private readonly Func<long> _compact;

    internal FaultInjector(Func<bool, int> dropWatches, Func<long> compact)
    {
        _dropWatches = dropWatches;
        _compact = compact;
    }

    /// <summary>Answer the next <paramref name="count"/> matching requests with <paramref name="statusCode"/> (e.g. 500, 503, 429).</summary>
    public void FailNext(int count, int statusCode = 500, RequestMatch? match = null, int? retryAfterSeconds = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(statusCode, 400);
        _errors.Enqueue(new ErrorRule(match ?? RequestMatch.Any, count, new InjectedError(statusCode, retryAfterSeconds ?? (statusCode == 429 ? 1 : null))));
    }

    /// <summary>Delay the next <paramref name="count"/> matching requests by <paramref name="delay"/> before serving them.</summary>
    public void DelayNext(int count, TimeSpan delay, RequestMatch? match = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        _delays.Enqueue(new DelayRule(match ?? RequestMatch.Any, count, delay));
    }

    /// <summary>Ends every open watch now: cleanly (the stream just ends) or by resetting the connection. Returns how many.</summary>
    public int DropWatches(bool abort = false) => _dropWatches(abort);

    /// <summary>Forgets the watch history up to now: resuming a watch from any earlier resource version gets 410 Expired.</summary>
    public long CompactHistory() => _compact();

    /// <summary>Removes every pending error and delay rule.</summary>
    public void Clear()
    {
        _errors.Clear();
        _delays.Clear();
    }

    internal InjectedError? TakeError(string verb, string resource, string ns, string? subresource)
    {
        foreach (var rule in _errors)
        {
            if (rule.Remaining > 0 && rule.Match.Matches(verb, resource, ns, subresource) && Interlocked.Decrement(ref rule.Remaining) >= 0)
            {
                return rule.Error;
            }
        }

        return null;
    }

    internal TimeSpan TakeDelay(string verb, string resource, string ns, string? subresource)
    {
        foreach (var rule in _delays)
        {
            if (rule.Remaining > 0 && rule.Match.Matches(verb, resource, ns, subresource) && Interlocked.Decrement(ref rule.Remaining) >= 0)
            {
                return rule.Delay;
            }
        }

        return TimeSpan.Zero;
    }

    internal JsonObject Describe() => new()
    {
        ["errors"] = new JsonArray(_errors.Where(r => r.Remaining > 0).Select(r => (JsonNode)new JsonObject
        {
            ["remaining"] = r.Remaining,
            ["status"] = r.Error.StatusCode,
            ["verb"] = r.Match.Verb,
            ["resource"] = r.Match.Resource,
        }).ToArray()),
        ["delays"] = new JsonArray(_delays.Where(r => r.Remaining > 0).Select(r => (JsonNode)new JsonObject
        {
            ["remaining"] = r.Remaining,
            ["milliseconds"] = r.Delay.TotalMilliseconds,
            ["verb"] = r.Match.Verb,
            ["resource"] = r.Match.Resource,
        }).ToArray()),
    };
}
