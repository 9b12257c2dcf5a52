namespace Nestor.ApiServer.Storage;

internal enum StoreEventType
{
    Added,
    Modified,
    Deleted,
}

/// <summary>One committed write. For Deleted, <see cref="Object"/> is the last state stamped with the deleting revision.</summary>
internal sealed record StoreEvent(StoreEventType Type, GroupResource Resource, StoredObject Object, StoredObject? Previous)
{
    public long ResourceVersion => Object.ResourceVersion;
}
