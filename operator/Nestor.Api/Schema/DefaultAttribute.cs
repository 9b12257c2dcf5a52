namespace Nestor.Api.Schema;

/// <summary>
/// The field has a schema default: the API server fills it in when it is absent. The value is the
/// property's C# initial value (read from a new instance of the declaring type), so the schema and
/// the objects the operator builds in code can never disagree.
/// </summary>
[AttributeUsage(AttributeTargets.Property, Inherited = false)]
public sealed class DefaultAttribute : Attribute;
