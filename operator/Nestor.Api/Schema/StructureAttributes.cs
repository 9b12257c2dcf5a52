namespace Nestor.Api.Schema;

/// <summary>How server-side apply merges a list (<c>x-kubernetes-list-type</c>).</summary>
public enum ListType
{
    /// <summary>The list is replaced as a whole.</summary>
    Atomic,

    /// <summary>Scalar items, each unique.</summary>
    Set,

    /// <summary>Objects identified by the key fields given with <see cref="ListMapAttribute"/>.</summary>
    Map,
}

/// <summary>A list of objects keyed by one or more of their (required) fields: <c>x-kubernetes-list-type: map</c>.</summary>
[AttributeUsage(AttributeTargets.Property, Inherited = false)]
public sealed class ListMapAttribute(params string[] keys) : Attribute
{
    public IReadOnlyList<string> Keys { get; } = keys;
}

/// <summary>A list of unique scalars: <c>x-kubernetes-list-type: set</c>.</summary>
[AttributeUsage(AttributeTargets.Property, Inherited = false)]
public sealed class ListSetAttribute : Attribute;

/// <summary>
/// The field cannot change once set: a CEL transition rule <c>self == oldSelf</c> with a message
/// naming the field.
/// </summary>
[AttributeUsage(AttributeTargets.Property, Inherited = false)]
public sealed class ImmutableAttribute(string? message = null) : Attribute
{
    public string? Message { get; } = message;
}

/// <summary>The value is free-form JSON kept as written (<c>x-kubernetes-preserve-unknown-fields</c>).</summary>
[AttributeUsage(AttributeTargets.Property, Inherited = false)]
public sealed class PreserveUnknownFieldsAttribute : Attribute;
