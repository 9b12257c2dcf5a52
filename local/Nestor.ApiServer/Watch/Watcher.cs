using System.Threading.Channels;
using Nestor.ApiServer.Storage;

namespace Nestor.ApiServer.Watch;

/// <summary>
/// One open watch: the events of one resource that pass its filter, after <see cref="StartAfter"/>,
/// translated like kube-apiserver's watch cache (an update that makes an object stop matching is a DELETED
/// event). Fed under the store lock, so events arrive in resource-version order with no gaps.
/// </summary>
internal sealed class Watcher
{
    private readonly Channel<WatchMessage> _channel;
    private readonly CancellationTokenSource _terminated = new();

    public Watcher(GroupResource resource, Func<StoredObject, bool> filter, long startAfter, int bufferSize)
    {
        Resource = resource;
        Filter = filter;
        StartAfter = startAfter;
        _channel = Channel.CreateBounded<WatchMessage>(new BoundedChannelOptions(bufferSize) { SingleReader = true });
    }

    public GroupResource Resource { get; }

    public Func<StoredObject, bool> Filter { get; }

    public long StartAfter { get; }

    public ChannelReader<WatchMessage> Reader => _channel.Reader;

    /// <summary>Cancelled when the server ends this watch (fault injection, a full buffer, shutdown).</summary>
    public CancellationToken Terminated => _terminated.Token;

    /// <summary>True when the connection should be reset rather than closed cleanly.</summary>
    public bool Abort { get; private set; }

    public string? TerminationReason { get; private set; }

    internal void Offer(StoreEvent e)
    {
        if (e.ResourceVersion <= StartAfter || e.Resource != Resource)
        {
            return;
        }

        var current = e.Type != StoreEventType.Deleted && Filter(e.Object);
        var previous = e.Previous is not null && Filter(e.Previous);
        WatchMessage? message = (current, previous) switch
        {
            (true, false) => new WatchMessage.Event("ADDED", e.Object),
            (true, true) => new WatchMessage.Event("MODIFIED", e.Object),
            (false, true) => new WatchMessage.Event("DELETED", e.Type == StoreEventType.Deleted ? e.Object : e.Previous!.WithResourceVersion(e.ResourceVersion)),
            _ => null,
        };
        if (message is not null)
        {
            Send(message);
        }
    }

    internal void Send(WatchMessage message)
    {
        if (!_channel.Writer.TryWrite(message))
        {
            Terminate(abort: false, "the watch fell too far behind");
        }
    }

    public void Terminate(bool abort, string reason)
    {
        if (_terminated.IsCancellationRequested)
        {
            return;
        }

        Abort = abort;
        TerminationReason = reason;
        _channel.Writer.TryComplete();
        _terminated.Cancel();
    }
}
