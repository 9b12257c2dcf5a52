using Microsoft.Extensions.Logging;

namespace Nestor.ApiServer;

/// <summary>Settings of a <see cref="LocalApiServer"/>; the defaults suit tests (a free loopback port, no data file).</summary>
public sealed class LocalApiServerOptions
{
    /// <summary>The loopback address to bind (any of 127.0.0.0/8, or ::1).</summary>
    public string Address { get; init; } = "127.0.0.1";

    /// <summary>The port; 0 picks a free one.</summary>
    public int Port { get; init; }

    /// <summary>
    /// The first two octets of the addresses given to Services as spec.clusterIP ("10.96" as kube's
    /// default service range). The local cluster uses a loopback prefix such as "127.96" so that a
    /// Service's clusterIP is an address its proxy can listen on.
    /// </summary>
    public string ServiceIpPrefix { get; init; } = "10.96";

    /// <summary>How many events (across all resources) the watch history keeps; older resumes get 410 Gone.</summary>
    public int HistorySize { get; init; } = 10_000;

    /// <summary>How often an open watch with allowWatchBookmarks=true gets a BOOKMARK event.</summary>
    public TimeSpan BookmarkInterval { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>Watches without timeoutSeconds end after a random time between this and twice this (kube-apiserver: 30 min).</summary>
    public TimeSpan DefaultWatchTimeout { get; init; } = TimeSpan.FromMinutes(30);

    /// <summary>Events a watch may fall behind before the server ends it (the client re-watches).</summary>
    public int WatchBufferSize { get; init; } = 100_000;

    /// <summary>How often garbage collection re-checks everything even without a triggering event.</summary>
    public TimeSpan GarbageCollectionResync { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>A JSON file the objects are saved to (atomically, at most once a second and on shutdown) and restored from.</summary>
    public string? DataFile { get; init; }

    /// <summary>Extra namespaces to create at start (default, kube-system, kube-public and kube-node-lease always exist).</summary>
    public IReadOnlyList<string> Namespaces { get; init; } = [];

    /// <summary>Serves pods/{name}/log (kubectl logs); without one that subresource answers 400, as for a pod no kubelet runs.</summary>
    public PodLogReader? PodLogs { get; init; }

    public ILoggerFactory? LoggerFactory { get; init; }
}
