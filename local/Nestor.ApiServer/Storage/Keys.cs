namespace Nestor.ApiServer.Storage;

/// <summary>A resource independent of version: objects of all served versions share one storage.</summary>
internal readonly record struct GroupResource(string Group, string Resource)
{
    public override string ToString() => Group.Length == 0 ? Resource : $"{Resource}.{Group}";
}

/// <summary>An object's key in its resource: namespace ("" when cluster-scoped) and name, ordered ordinally.</summary>
internal readonly record struct ObjectKey(string Namespace, string Name) : IComparable<ObjectKey>
{
    public int CompareTo(ObjectKey other)
    {
        var byNamespace = string.CompareOrdinal(Namespace, other.Namespace);
        return byNamespace != 0 ? byNamespace : string.CompareOrdinal(Name, other.Name);
    }

    public override string ToString() => Namespace.Length == 0 ? Name : $"{Namespace}/{Name}";

    public static ObjectKey Parse(string text)
    {
        var slash = text.IndexOf('/', StringComparison.Ordinal);
        return slash < 0 ? new ObjectKey("", text) : new ObjectKey(text[..slash], text[(slash + 1)..]);
    }
}
