namespace Nestor.Operator.Core.Informers;

public sealed record InformerOptions
{
    /// <summary>Namespaces to watch; empty means all namespaces (one cluster-wide list/watch).</summary>
    public IReadOnlyList<string> Namespaces { get; init; } = [];

    public string? LabelSelector { get; init; }

    /// <summary>The server ends each watch after a random time in [min, 2·min] (client-go: 5 to 10 minutes).</summary>
    public TimeSpan WatchTimeout { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>No event and no bookmark for this long: the watch is presumed hung and restarted.</summary>
    public TimeSpan IdleTimeout { get; init; } = TimeSpan.FromMinutes(3);

    public TimeSpan BackoffBase { get; init; } = TimeSpan.FromMilliseconds(200);

    public TimeSpan BackoffMax { get; init; } = TimeSpan.FromSeconds(30);

    public int PageSize { get; init; } = 500;
}
