namespace Nestor.Api.Schema;

/// <summary>
/// A CEL rule (<c>x-kubernetes-validations</c>) evaluated by the API server with <c>self</c> bound
/// to the value of the annotated property, or to an object of the annotated class wherever that
/// class is used. A rule that mentions <c>oldSelf</c> is a transition rule: it runs on updates only.
/// Only standard CEL is used (no Kubernetes extension libraries), so the rules also run in the
/// project's own validators.
/// </summary>
[AttributeUsage(AttributeTargets.Property | AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class ValidationRuleAttribute(string rule, string message) : Attribute
{
    public string Rule { get; } = rule;

    public string Message { get; } = message;

    /// <summary>A relative JSON path (such as <c>.maxReplicas</c>) the error is reported at.</summary>
    public string? FieldPath { get; init; }

    /// <summary>FieldValueInvalid (default), FieldValueForbidden, FieldValueRequired or FieldValueDuplicate.</summary>
    public string? Reason { get; init; }
}
