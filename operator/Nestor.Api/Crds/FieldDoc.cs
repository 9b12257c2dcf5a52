using System.Text.Json.Nodes;

namespace Nestor.Api.Crds;

/// <summary>One documented field of a kind, collected while its schema is built (for docs/crd-reference.md).</summary>
/// <param name="Path">The field's path from the object's root, such as <c>spec.budgets[].name</c>.</param>
/// <param name="Schema">The field's schema node (shared with the CRD, read-only use).</param>
/// <param name="KubernetesType">For an embedded Kubernetes type, its name (for example <c>core/v1 Toleration</c>); its fields are not listed.</param>
/// <param name="EnumValues">For an enum, each value and its description.</param>
public sealed record FieldDoc(
    string Path,
    bool Required,
    JsonObject Schema,
    string? Description,
    string? KubernetesType,
    IReadOnlyList<(string Value, string Description)>? EnumValues);
