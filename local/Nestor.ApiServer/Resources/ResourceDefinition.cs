using Nestor.ApiServer.Storage;
using Nestor.ApiServer.Tables;

namespace Nestor.ApiServer.Resources;

/// <summary>Where the scale subresource reads and writes replicas (paths are dotted field paths).</summary>
internal sealed record ScaleSpec(string SpecReplicasPath, string StatusReplicasPath, string? LabelSelectorPath);

/// <summary>What DELETE does to dependents when the client does not say.</summary>
internal enum PropagationPolicy
{
    Background,
    Foreground,
    Orphan,
}

/// <summary>One served resource at one group/version: names, scope, subresources, behaviour.</summary>
internal sealed class ResourceDefinition
{
    public required string Group { get; init; }

    public required string Version { get; init; }

    public required string Plural { get; init; }

    public required string Singular { get; init; }

    public required string Kind { get; init; }

    public required bool Namespaced { get; init; }

    public IReadOnlyList<string> ShortNames { get; init; } = [];

    public IReadOnlyList<string> Categories { get; init; } = [];

    public bool HasStatus { get; init; }

    public ScaleSpec? Scale { get; init; }

    /// <summary>metadata.generation is set and bumped on changes outside metadata (and status, with a status subresource).</summary>
    public bool TracksGeneration { get; init; }

    /// <summary>DELETE answers with the deleted object instead of a success Status.</summary>
    public bool ReturnDeletedObject { get; init; }

    /// <summary>PUT without metadata.resourceVersion is allowed (false for custom resources).</summary>
    public bool AllowUnconditionalUpdate { get; init; } = true;

    public PropagationPolicy DefaultPropagation { get; init; } = PropagationPolicy.Background;

    /// <summary>Field selectors accepted besides metadata.name and metadata.namespace (dotted paths).</summary>
    public IReadOnlyList<string> SelectableFields { get; init; } = [];

    public IResourceStrategy Strategy { get; init; } = NoStrategy.Instance;

    public TypeNode TypeSchema { get; init; } = TypeNode.Leaf;

    public required ITableConvertor Table { get; init; }

    /// <summary>Custom resources only: the CRD's name (plural.group); strategic merge patch is refused for them.</summary>
    public string? CrdName { get; init; }

    public bool IsCustom => CrdName is not null;

    /// <summary>False for resources that only exist for discovery (e.g. the namespace "finalize" path).</summary>
    public IReadOnlyList<string> Verbs { get; init; } = ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"];

    public string ApiVersion => Group.Length == 0 ? Version : $"{Group}/{Version}";

    public string GroupVersion => ApiVersion;

    public GroupResource GroupResource => new(Group, Plural);

    public string QualifiedResource => Group.Length == 0 ? Plural : $"{Plural}.{Group}";

    public string ListKind => Kind + "List";
}
