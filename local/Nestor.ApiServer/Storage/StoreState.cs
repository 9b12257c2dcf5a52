using System.Collections.Immutable;

namespace Nestor.ApiServer.Storage;

/// <summary>An immutable snapshot of every object at one resource version (lists and continue tokens read these).</summary>
internal sealed record StoreState(long ResourceVersion, ImmutableDictionary<GroupResource, ImmutableSortedDictionary<ObjectKey, StoredObject>> Resources)
{
    public static readonly StoreState Empty = new(0, ImmutableDictionary<GroupResource, ImmutableSortedDictionary<ObjectKey, StoredObject>>.Empty);

    public ImmutableSortedDictionary<ObjectKey, StoredObject> Of(GroupResource resource) =>
        Resources.TryGetValue(resource, out var objects) ? objects : ImmutableSortedDictionary<ObjectKey, StoredObject>.Empty;

    public StoredObject? Get(GroupResource resource, ObjectKey key) =>
        Resources.TryGetValue(resource, out var objects) && objects.TryGetValue(key, out var stored) ? stored : null;
}
