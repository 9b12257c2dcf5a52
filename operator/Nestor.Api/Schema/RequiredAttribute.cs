namespace Nestor.Api.Schema;

/// <summary>
/// The field is required in the schema. The types deliberately do not use C#'s <c>required</c>
/// modifier: like Go's decoders, reading an object must never fail on a missing field (an object
/// stored under an older schema, a partial status), or one bad object would stop a controller.
/// Required fields are non-nullable with an empty initial value instead.
/// </summary>
[AttributeUsage(AttributeTargets.Property, Inherited = false)]
public sealed class RequiredAttribute : Attribute;
