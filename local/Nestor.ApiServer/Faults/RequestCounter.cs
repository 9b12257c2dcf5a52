using System.Collections.Concurrent;
using System.Text.Json.Nodes;

namespace Nestor.ApiServer.Faults;

/// <summary>A request count key: Kubernetes verb (get, list, watch, create, update, patch, delete, deletecollection) and resource (with /subresource).</summary>
public readonly record struct RequestKey(string Verb, string Resource);

/// <summary>Counts resource requests by verb and resource (tests and benchmarks count API calls and writes with it).</summary>
public sealed class RequestCounter
{
    private static readonly HashSet<string> WriteVerbs = ["create", "update", "patch", "delete", "deletecollection"];
    private readonly ConcurrentDictionary<RequestKey, long> _counts = new();

    internal void Record(string verb, string resource, string? subresource) =>
        _counts.AddOrUpdate(new RequestKey(verb, subresource is null ? resource : $"{resource}/{subresource}"), 1, (_, n) => n + 1);

    public IReadOnlyDictionary<RequestKey, long> Snapshot() => new Dictionary<RequestKey, long>(_counts);

    /// <summary>Requests matching the verb and/or resource (null = any; resource matches with or without a subresource).</summary>
    public long Count(string? verb = null, string? resource = null) =>
        _counts.Where(p => (verb is null || p.Key.Verb == verb) &&
                           (resource is null || p.Key.Resource == resource || p.Key.Resource.StartsWith(resource + "/", StringComparison.Ordinal)))
            .Sum(p => p.Value);

    public long Total => _counts.Values.Sum();

    /// <summary>create, update, patch, delete and deletecollection requests.</summary>
    public long Writes => _counts.Where(p => WriteVerbs.Contains(p.Key.Verb)).Sum(p => p.Value);

    public void Reset() => _counts.Clear();

    internal JsonObject ToJson()
    {
        var byKey = new JsonObject();
        foreach (var (key, value) in _counts.OrderBy(p => p.Key.Resource, StringComparer.Ordinal).ThenBy(p => p.Key.Verb, StringComparer.Ordinal))
        {
            byKey[$"{key.Verb} {key.Resource}"] = value;
        }

        return new JsonObject { ["total"] = Total, ["writes"] = Writes, ["requests"] = byKey };
    }
}
