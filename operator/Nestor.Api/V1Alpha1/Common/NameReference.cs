using System.Text.Json.Serialization;
using Nestor.Api.Schema;

namespace Nestor.Api.V1Alpha1;

/// <summary>A reference by name to another object in the same namespace.</summary>
[Description("A reference to an object in the same namespace.")]
public sealed class NameReference
{
    [JsonPropertyName("name")]
    [Description("The object's name (same namespace).")]
    [Pattern(Patterns.DnsSubdomain)]
    [Length(Min = 1, Max = 253)]
    [Required]
    public string Name { get; set; } = "";
}
