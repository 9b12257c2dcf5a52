namespace Nestor.Api.Schema;

/// <summary>
/// The text of a field, kind or enum value in the CRD schema, in <c>kubectl explain</c> and in
/// docs/crd-reference.md. Every property of a Nestor API type carries one (the generator checks).
/// </summary>
[AttributeUsage(AttributeTargets.Property | AttributeTargets.Class | AttributeTargets.Field, Inherited = false)]
public sealed class DescriptionAttribute(string text) : Attribute
{
    public string Text { get; } = text;
}
