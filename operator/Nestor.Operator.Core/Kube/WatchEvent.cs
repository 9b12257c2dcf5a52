namespace Nestor.Operator.Core.Kube;

public enum WatchEventKind
{
    Added,
    Modified,
    Deleted,
    Bookmark,
}

/// <summary>One event of a watch stream. A bookmark carries only a resourceVersion.</summary>
public sealed record WatchEvent<T>(WatchEventKind Kind, T? Object, string? ResourceVersion)
    where T : class;

/// <summary>One page of a list: its items and the collection's resourceVersion to watch from.</summary>
public sealed record ListPage<T>(IReadOnlyList<T> Items, string ResourceVersion, string? Continue);
