using k8s;
using k8s.Models;
using Nestor.Operator.Core.Kube;

namespace Nestor.Operator.Core.Informers;

/// <summary>
/// The informer's in-memory copy of one kind, indexed by key, by controller owner UID and by label.
/// Cached objects are shared: clone (<see cref="KubeObjects.Clone{T}"/>) before changing one.
/// </summary>
public sealed class InformerCache<T>
    where T : class, IKubernetesObject<V1ObjectMeta>
{
    private readonly ReaderWriterLockSlim _lock = new();
    private readonly Dictionary<ObjectKey, T> _items = [];
    private readonly Dictionary<string, HashSet<ObjectKey>> _byOwner = [];
    private readonly Dictionary<string, HashSet<ObjectKey>> _byLabel = [];

    public int Count
    {
        get
        {
            _lock.EnterReadLock();
            try
            {
                return _items.Count;
            }
            finally
            {
                _lock.ExitReadLock();
            }
        }
    }

    public T? Get(ObjectKey key)
    {
        _lock.EnterReadLock();
        try
        {
            return _items.GetValueOrDefault(key);
        }
        finally
        {
            _lock.ExitReadLock();
        }
    }

    public T? Get(string? @namespace, string name) => Get(new ObjectKey(@namespace, name));

    public IReadOnlyList<T> List(string? @namespace = null)
    {
        _lock.EnterReadLock();
        try
        {
            return _items.Values.Where(o => @namespace is null || o.Metadata.NamespaceProperty == @namespace).ToList();
        }
        finally
        {
            _lock.ExitReadLock();
        }
    }

    /// <summary>Objects whose ownerReferences name this owner UID.</summary>
    public IReadOnlyList<T> ListByOwner(string ownerUid) => Lookup(_byOwner, ownerUid);

    /// <summary>Objects carrying every given label (equality match).</summary>
    public IReadOnlyList<T> ListByLabels(IReadOnlyDictionary<string, string> labels, string? @namespace = null)
    {
        _lock.EnterReadLock();
        try
        {
            HashSet<ObjectKey>? result = null;
            foreach (var (key, value) in labels)
            {
                if (!_byLabel.TryGetValue(key + "=" + value, out var keys))
                {
                    return [];
                }

                result = result is null ? [.. keys] : [.. result.Intersect(keys)];
            }

            IEnumerable<T> items = result is null ? _items.Values : result.Select(k => _items[k]);
            return items.Where(o => @namespace is null || o.Metadata.NamespaceProperty == @namespace).ToList();
        }
        finally
        {
            _lock.ExitReadLock();
        }
    }

    /// <summary>Stores the object; returns the previous version, if any.</summary>
    public T? Upsert(T obj)
    {
        var key = ObjectKey.Of(obj);
        _lock.EnterWriteLock();
        try
        {
            _items.TryGetValue(key, out var old);
            if (old is not null)
            {
                Unindex(key, old);
            }

            _items[key] = obj;
            Index(key, obj);
            return old;
        }
        finally
        {
            _lock.ExitWriteLock();
        }
    }

    /// <summary>Removes the object; returns the cached version, if any.</summary>
    public T? Remove(ObjectKey key)
    {
        _lock.EnterWriteLock();
        try
        {
            if (!_items.Remove(key, out var old))
            {
                return null;
            }

            Unindex(key, old);
            return old;
        }
        finally
        {
            _lock.ExitWriteLock();
        }
    }

    /// <summary>Keys of cached objects in the namespace (all when null), for relist diffs.</summary>
    public IReadOnlyList<ObjectKey> Keys(string? @namespace)
    {
        _lock.EnterReadLock();
        try
        {
            return _items.Keys.Where(k => @namespace is null || k.Namespace == @namespace).ToList();
        }
        finally
        {
            _lock.ExitReadLock();
        }
    }

    private IReadOnlyList<T> Lookup(Dictionary<string, HashSet<ObjectKey>> index, string value)
    {
        _lock.EnterReadLock();
        try
        {
            return index.TryGetValue(value, out var keys) ? keys.Select(k => _items[k]).ToList() : [];
        }
        finally
        {
            _lock.ExitReadLock();
        }
    }

    private void Index(ObjectKey key, T obj)
    {
        foreach (var owner in obj.Metadata.OwnerReferences ?? [])
        {
            Add(_byOwner, owner.Uid, key);
        }

        foreach (var (label, value) in obj.Metadata.Labels ?? new Dictionary<string, string>())
        {
            Add(_byLabel, label + "=" + value, key);
        }
    }

    private void Unindex(ObjectKey key, T obj)
    {
        foreach (var owner in obj.Metadata.OwnerReferences ?? [])
        {
            Remove(_byOwner, owner.Uid, key);
        }

        foreach (var (label, value) in obj.Metadata.Labels ?? new Dictionary<string, string>())
        {
            Remove(_byLabel, label + "=" + value, key);
        }
    }

    private static void Add(Dictionary<string, HashSet<ObjectKey>> index, string value, ObjectKey key)
    {
        if (!index.TryGetValue(value, out var keys))
        {
            index[value] = keys = [];
        }

        keys.Add(key);
    }

    private static void Remove(Dictionary<string, HashSet<ObjectKey>> index, string value, ObjectKey key)
    {
        if (index.TryGetValue(value, out var keys) && keys.Remove(key) && keys.Count == 0)
        {
            index.Remove(value);
        }
    }
}
