namespace Nestor.Api.Schema;

/// <summary>The resource's short names for kubectl (<c>kubectl get em</c>).</summary>
[AttributeUsage(AttributeTargets.Class, Inherited = false)]
public sealed class ShortNamesAttribute(params string[] names) : Attribute
{
    public IReadOnlyList<string> Names { get; } = names;
}

/// <summary>The resource's categories (<c>kubectl get nestor</c> lists every kind in the category).</summary>
[AttributeUsage(AttributeTargets.Class, Inherited = false)]
public sealed class CategoriesAttribute(params string[] names) : Attribute
{
    public IReadOnlyList<string> Names { get; } = names;
}

/// <summary>A column of <c>kubectl get</c> (additionalPrinterColumns), in declaration order.</summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class PrinterColumnAttribute(int order, string name, string type, string jsonPath) : Attribute
{
    public int Order { get; } = order;

    public string Name { get; } = name;

    /// <summary>integer, number, string, boolean or date.</summary>
    public string Type { get; } = type;

    public string JsonPath { get; } = jsonPath;

    public string? Description { get; init; }

    public string? Format { get; init; }

    /// <summary>0: always shown; 1 and above: only with <c>-o wide</c>.</summary>
    public int Priority { get; init; }
}

/// <summary>The resource has a status subresource: <c>/status</c> writes change only status, spec writes ignore it.</summary>
[AttributeUsage(AttributeTargets.Class, Inherited = false)]
public sealed class StatusSubresourceAttribute : Attribute;

/// <summary>The resource has a scale subresource, so HPA, KEDA and <c>kubectl scale</c> can drive it.</summary>
[AttributeUsage(AttributeTargets.Class, Inherited = false)]
public sealed class ScaleSubresourceAttribute(string specReplicasPath, string statusReplicasPath, string labelSelectorPath) : Attribute
{
    public string SpecReplicasPath { get; } = specReplicasPath;

    public string StatusReplicasPath { get; } = statusReplicasPath;

    public string LabelSelectorPath { get; } = labelSelectorPath;
}

/// <summary>
/// Limits on <c>metadata.name</c> beyond Kubernetes' own, because the name becomes part of the names
/// of child objects, of paths on the weight volume and of OpenAI model ids.
/// </summary>
[AttributeUsage(AttributeTargets.Class, Inherited = false)]
public sealed class NameConstraintAttribute(int maxLength, string pattern) : Attribute
{
    public int MaxLength { get; } = maxLength;

    public string Pattern { get; } = pattern;

    public string? Reason { get; init; }
}
