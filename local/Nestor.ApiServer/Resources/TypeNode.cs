namespace Nestor.ApiServer.Resources;

/// <summary>How a list merges in strategic merge patch and server-side apply.</summary>
internal enum ListKind
{
    /// <summary>Replaced as a whole.</summary>
    Atomic,

    /// <summary>A set of scalars (merged as a union; x-kubernetes-list-type: set).</summary>
    Set,

    /// <summary>A list of objects keyed by one or more fields (x-kubernetes-list-type: map).</summary>
    Map,
}

/// <summary>
/// The structure of a type as far as merging needs it: known fields, map values, list items and list/map
/// semantics. Built from a CRD's openAPIV3Schema, or declared for the built-in kinds.
/// A missing node means "unknown": maps merge per key, lists are atomic.
/// </summary>
internal sealed class TypeNode
{
    public Dictionary<string, TypeNode>? Fields { get; set; }

    /// <summary>The element type of a list, or the value type of a map (additionalProperties).</summary>
    public TypeNode? Elements { get; set; }

    public bool IsList { get; set; }

    public ListKind ListKind { get; set; } = ListKind.Atomic;

    public IReadOnlyList<string> Keys { get; set; } = [];

    public bool AtomicMap { get; set; }

    /// <summary>Strategic merge patch: the list's merge key (patchMergeKey), when it merges.</summary>
    public string? PatchMergeKey { get; set; }

    /// <summary>Strategic merge patch: merge primitive lists as sets (patchStrategy=merge on a []string).</summary>
    public bool PatchMergePrimitives { get; set; }

    public bool RetainKeys { get; set; }

    public TypeNode? Field(string name) =>
        Fields is not null && Fields.TryGetValue(name, out var node) ? node : IsList ? null : Elements;

    public static TypeNode Object(params (string Name, TypeNode Node)[] fields) =>
        new() { Fields = fields.ToDictionary(f => f.Name, f => f.Node, StringComparer.Ordinal) };

    public static TypeNode MapOf(TypeNode values) => new() { Elements = values };

    /// <summary>A list of objects merged by key (patchMergeKey = first key).</summary>
    public static TypeNode KeyedList(TypeNode item, params string[] keys) =>
        new() { IsList = true, ListKind = ListKind.Map, Keys = keys, PatchMergeKey = keys[0], Elements = item };

    public static TypeNode SetList() => new() { IsList = true, ListKind = ListKind.Set, PatchMergePrimitives = true };

    public static TypeNode AtomicList(TypeNode? item = null) => new() { IsList = true, Elements = item };

    public static readonly TypeNode Leaf = new();
}
