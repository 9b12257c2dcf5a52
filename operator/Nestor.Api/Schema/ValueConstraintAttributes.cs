namespace Nestor.Api.Schema;

/// <summary>The lowest allowed number (OpenAPI <c>minimum</c>, optionally exclusive).</summary>
[AttributeUsage(AttributeTargets.Property, Inherited = false)]
public sealed class MinimumAttribute(double value) : Attribute
{
    public double Value { get; } = value;

    public bool Exclusive { get; init; }
}

/// <summary>The highest allowed number (OpenAPI <c>maximum</c>, optionally exclusive).</summary>
[AttributeUsage(AttributeTargets.Property, Inherited = false)]
public sealed class MaximumAttribute(double value) : Attribute
{
    public double Value { get; } = value;

    public bool Exclusive { get; init; }
}

/// <summary>A regular expression the string must match (RE2 / ECMA-262 subset: no look-arounds).</summary>
[AttributeUsage(AttributeTargets.Property, Inherited = false)]
public sealed class PatternAttribute(string regex) : Attribute
{
    public string Regex { get; } = regex;
}

/// <summary>Bounds on a string's length in characters.</summary>
[AttributeUsage(AttributeTargets.Property, Inherited = false)]
public sealed class LengthAttribute : Attribute
{
    public int Min { get; init; } = -1;

    public int Max { get; init; } = -1;
}

/// <summary>
/// Bounds on a list's items or a map's entries. Every list and map reached by a CEL rule needs a
/// maximum, or the API server cannot bound the rule's cost.
/// </summary>
[AttributeUsage(AttributeTargets.Property, Inherited = false)]
public sealed class ItemsAttribute : Attribute
{
    public int Min { get; init; } = -1;

    public int Max { get; init; } = -1;
}

/// <summary>A string <c>format</c> (for example <c>date-time</c>, added automatically for DateTime).</summary>
[AttributeUsage(AttributeTargets.Property, Inherited = false)]
public sealed class FormatAttribute(string format) : Attribute
{
    public string Format { get; } = format;
}

/// <summary>Constraints applied to each item of a list of strings or numbers, or each value of a map.</summary>
[AttributeUsage(AttributeTargets.Property, Inherited = false)]
public sealed class ItemConstraintsAttribute : Attribute
{
    public string? Pattern { get; init; }

    public int MaxLength { get; init; } = -1;

    public double Minimum { get; init; } = double.NaN;

    public double Maximum { get; init; } = double.NaN;
}
