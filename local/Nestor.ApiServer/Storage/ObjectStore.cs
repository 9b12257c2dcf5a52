using System.Collections.Immutable;
using System.Globalization;
using System.Text.Json.Nodes;
using Nestor.ApiServer.Json;
using Nestor.ApiServer.Watch;

namespace Nestor.ApiServer.Storage;

/// <summary>
/// The in-memory object store: one global, monotonically increasing resource version; writes serialised
/// under one lock; readers take lock-free immutable snapshots. Every write is published, in order and while
/// the lock is held, to the watch hub (history and open watches) and to the store's listeners.
/// </summary>
internal sealed class ObjectStore
{
    private readonly Lock _gate = new();
    private readonly Dictionary<string, (GroupResource Resource, ObjectKey Key)> _byUid = new(StringComparer.Ordinal);
    private readonly List<Action<StoreEvent>> _listeners = [];
    private readonly LinkedList<StoreState> _recentStates = new();
    private StoreState _state = StoreState.Empty;

    public ObjectStore(WatchHub hub) => Hub = hub;

    public WatchHub Hub { get; }

    public StoreState State => Volatile.Read(ref _state);

    /// <summary>How many recent snapshots to keep for continue tokens.</summary>
    public int SnapshotsKept { get; init; } = 64;

    /// <summary>Register a callback run under the store lock after each write; it must not block or write.</summary>
    public void Listen(Action<StoreEvent> listener)
    {
        lock (_gate)
        {
            _listeners.Add(listener);
        }
    }

    public T Write<T>(Func<StoreWriter, T> action)
    {
        lock (_gate)
        {
            return action(new StoreWriter(this));
        }
    }

    public void Write(Action<StoreWriter> action)
    {
        lock (_gate)
        {
            action(new StoreWriter(this));
        }
    }

    /// <summary>Runs <paramref name="action"/> under the store lock, so nothing is written meanwhile.</summary>
    public T Read<T>(Func<StoreState, T> action)
    {
        lock (_gate)
        {
            return action(_state);
        }
    }

    /// <summary>A snapshot kept for a continue token, or null if it is too old.</summary>
    public StoreState? Snapshot(long resourceVersion)
    {
        lock (_gate)
        {
            if (_state.ResourceVersion == resourceVersion)
            {
                return _state;
            }

            return _recentStates.FirstOrDefault(s => s.ResourceVersion == resourceVersion);
        }
    }

    /// <summary>Remembers the current snapshot for continue tokens (called by paginated lists).</summary>
    public StoreState Pin()
    {
        lock (_gate)
        {
            if (_recentStates.First?.Value.ResourceVersion != _state.ResourceVersion)
            {
                _recentStates.AddFirst(_state);
                while (_recentStates.Count > SnapshotsKept)
                {
                    _recentStates.RemoveLast();
                }
            }

            return _state;
        }
    }

    public (GroupResource Resource, ObjectKey Key)? FindUid(string uid)
    {
        lock (_gate)
        {
            return _byUid.TryGetValue(uid, out var found) ? found : null;
        }
    }

    /// <summary>Restores objects (from a data file) at a starting resource version; no events are published.</summary>
    public void Load(long resourceVersion, IEnumerable<(GroupResource Resource, JsonObject Object)> objects)
    {
        lock (_gate)
        {
            var state = StoreState.Empty with { ResourceVersion = resourceVersion };
            var builder = state.Resources.ToBuilder();
            foreach (var (resource, obj) in objects)
            {
                var rv = long.TryParse(JsonPaths.GetString(obj, "metadata", "resourceVersion"), CultureInfo.InvariantCulture, out var r) ? r : resourceVersion;
                var stored = new StoredObject(obj, rv);
                var map = builder.TryGetValue(resource, out var m) ? m : ImmutableSortedDictionary<ObjectKey, StoredObject>.Empty;
                builder[resource] = map.SetItem(stored.Key, stored);
                _byUid[stored.Uid] = (resource, stored.Key);
            }

            _state = state with { Resources = builder.ToImmutable() };
            Hub.ResetHistory(resourceVersion);
        }
    }

    /// <summary>Write access, only valid inside <see cref="Write{T}"/>.</summary>
    internal readonly struct StoreWriter(ObjectStore store)
    {
        public StoreState State => store._state;

        public long CurrentResourceVersion => store._state.ResourceVersion;

        public StoredObject? Get(GroupResource resource, ObjectKey key) => store._state.Get(resource, key);

        public ImmutableSortedDictionary<ObjectKey, StoredObject> List(GroupResource resource) => store._state.Of(resource);

        public StoredObject? FindUid(string uid) =>
            store._byUid.TryGetValue(uid, out var found) ? store._state.Get(found.Resource, found.Key) : null;

        public (GroupResource Resource, StoredObject Object)? FindUidWithResource(string uid) =>
            store._byUid.TryGetValue(uid, out var found) && store._state.Get(found.Resource, found.Key) is { } obj ? (found.Resource, obj) : null;

        /// <summary>Stores <paramref name="obj"/> (which the store now owns) under a new resource version.</summary>
        public StoredObject Put(GroupResource resource, JsonObject obj)
        {
            var rv = store._state.ResourceVersion + 1;
            JsonPaths.Metadata(obj)["resourceVersion"] = rv.ToString(CultureInfo.InvariantCulture);
            var stored = new StoredObject(obj, rv);
            var previous = store._state.Get(resource, stored.Key);
            var map = store._state.Of(resource).SetItem(stored.Key, stored);
            store._state = new StoreState(rv, store._state.Resources.SetItem(resource, map));
            store._byUid[stored.Uid] = (resource, stored.Key);
            store.Publish(new StoreEvent(previous is null ? StoreEventType.Added : StoreEventType.Modified, resource, stored, previous));
            return stored;
        }

        public StoredObject? Remove(GroupResource resource, ObjectKey key)
        {
            var previous = store._state.Get(resource, key);
            if (previous is null)
            {
                return null;
            }

            var rv = store._state.ResourceVersion + 1;
            var deleted = previous.WithResourceVersion(rv);
            var map = store._state.Of(resource).Remove(key);
            store._state = new StoreState(rv, map.IsEmpty ? store._state.Resources.Remove(resource) : store._state.Resources.SetItem(resource, map));
            store._byUid.Remove(previous.Uid);
            store.Publish(new StoreEvent(StoreEventType.Deleted, resource, deleted, previous));
            return deleted;
        }
    }

    private void Publish(StoreEvent e)
    {
        Hub.Publish(e);
        foreach (var listener in _listeners)
        {
            listener(e);
        }
    }
}
