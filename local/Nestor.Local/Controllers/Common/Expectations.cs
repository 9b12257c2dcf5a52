using Nestor.Operator.Core.Kube;

namespace Nestor.Local.Controllers.Common;

/// <summary>
/// kube's ControllerExpectations: the pod creations and deletions a controller made that its informer
/// has not shown yet. Until they are seen (or expire), the cache is stale for that owner and a
/// reconcile must not act on it, or it would create or delete the same pods twice.
/// </summary>
public sealed class Expectations(TimeProvider clock, TimeSpan? timeout = null)
{
    private readonly TimeSpan _timeout = timeout ?? TimeSpan.FromMinutes(1);
    private readonly Lock _lock = new();
    private readonly Dictionary<ObjectKey, Entry> _entries = [];

    public void ExpectCreations(ObjectKey owner, int count)
    {
        lock (_lock)
        {
            var entry = Get(owner);
            entry.Adds += count;
            entry.Since = clock.GetUtcNow();
        }
    }

    public void ExpectDeletion(ObjectKey owner, string podUid)
    {
        lock (_lock)
        {
            var entry = Get(owner);
            entry.Deletes.Add(podUid);
            entry.Since = clock.GetUtcNow();
        }
    }

    /// <summary>A created pod was seen (or its creation failed and it will never be).</summary>
    public void CreationObserved(ObjectKey owner)
    {
        lock (_lock)
        {
            if (_entries.TryGetValue(owner, out var entry) && entry.Adds > 0)
            {
                entry.Adds--;
            }
        }
    }

    /// <summary>A pod is being deleted or gone (or its deletion failed).</summary>
    public void DeletionObserved(ObjectKey owner, string podUid)
    {
        lock (_lock)
        {
            if (_entries.TryGetValue(owner, out var entry))
            {
                entry.Deletes.Remove(podUid);
            }
        }
    }

    public bool Satisfied(ObjectKey owner)
    {
        lock (_lock)
        {
            if (!_entries.TryGetValue(owner, out var entry))
            {
                return true;
            }

            if ((entry.Adds <= 0 && entry.Deletes.Count == 0) || clock.GetUtcNow() - entry.Since > _timeout)
            {
                _entries.Remove(owner);
                return true;
            }

            return false;
        }
    }

    public void Forget(ObjectKey owner)
    {
        lock (_lock)
        {
            _entries.Remove(owner);
        }
    }

    private Entry Get(ObjectKey owner)
    {
        if (!_entries.TryGetValue(owner, out var entry))
        {
            entry = new Entry();
            _entries[owner] = entry;
        }

        return entry;
    }

    private sealed class Entry
    {
        public int Adds { get; set; }

        public HashSet<string> Deletes { get; } = [];

        public DateTimeOffset Since { get; set; }
    }
}
