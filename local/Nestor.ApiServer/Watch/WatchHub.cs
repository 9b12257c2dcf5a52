using System.Globalization;
using Nestor.ApiServer.Http;
using Nestor.ApiServer.Storage;

namespace Nestor.ApiServer.Watch;

/// <summary>
/// The kept history of events (a window of <c>historySize</c> events across all resources) and the open
/// watches. A watch that resumes from a resource version older than the window gets 410 Expired, exactly as
/// from kube-apiserver's watch cache. Publish, Subscribe and Compact run under the store lock.
/// </summary>
internal sealed class WatchHub(int historySize)
{
    private readonly Queue<StoreEvent> _history = new();
    private readonly Lock _watchersGate = new();
    private readonly List<Watcher> _watchers = [];
    private long _compactedResourceVersion;

    /// <summary>Events with a resource version at or below this are gone; resuming from below it gets 410.</summary>
    public long CompactedResourceVersion => Volatile.Read(ref _compactedResourceVersion);

    public int OpenWatches
    {
        get
        {
            lock (_watchersGate)
            {
                return _watchers.Count;
            }
        }
    }

    internal void Publish(StoreEvent e)
    {
        _history.Enqueue(e);
        while (_history.Count > Math.Max(1, historySize))
        {
            Volatile.Write(ref _compactedResourceVersion, _history.Dequeue().ResourceVersion);
        }

        lock (_watchersGate)
        {
            foreach (var watcher in _watchers)
            {
                watcher.Offer(e);
            }
        }
    }

    /// <summary>Forgets all history up to <paramref name="resourceVersion"/> (fault injection: "compact").</summary>
    internal void Compact(long resourceVersion)
    {
        while (_history.Count > 0 && _history.Peek().ResourceVersion <= resourceVersion)
        {
            _history.Dequeue();
        }

        Volatile.Write(ref _compactedResourceVersion, Math.Max(CompactedResourceVersion, resourceVersion));
    }

    internal void ResetHistory(long resourceVersion)
    {
        _history.Clear();
        Volatile.Write(ref _compactedResourceVersion, resourceVersion);
    }

    /// <summary>
    /// Opens a watch. With <paramref name="resumeFrom"/> null the caller sends the current objects first
    /// (the snapshot it read under the same lock); otherwise kept events after that version are queued first.
    /// </summary>
    internal Watcher Subscribe(StoreState state, GroupResource resource, Func<StoredObject, bool> filter, long? resumeFrom, int bufferSize)
    {
        var startAfter = resumeFrom ?? state.ResourceVersion;
        if (resumeFrom is { } rv && rv < CompactedResourceVersion)
        {
            throw ApiException.Gone(string.Create(CultureInfo.InvariantCulture, $"too old resource version: {rv} ({CompactedResourceVersion + 1})"));
        }

        var watcher = new Watcher(resource, filter, startAfter, bufferSize);
        if (resumeFrom is not null)
        {
            foreach (var e in _history)
            {
                watcher.Offer(e);
            }
        }

        lock (_watchersGate)
        {
            _watchers.Add(watcher);
        }

        return watcher;
    }

    internal void Unsubscribe(Watcher watcher)
    {
        lock (_watchersGate)
        {
            _watchers.Remove(watcher);
        }
    }

    /// <summary>Ends every open watch now; returns how many.</summary>
    public int DropAll(bool abort, string reason)
    {
        List<Watcher> open;
        lock (_watchersGate)
        {
            open = [.. _watchers];
        }

        foreach (var watcher in open)
        {
            watcher.Terminate(abort, reason);
        }

        return open.Count;
    }
}
