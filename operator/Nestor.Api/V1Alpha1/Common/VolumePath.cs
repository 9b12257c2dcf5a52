using System.Text.Json.Serialization;
using Nestor.Api.Schema;

namespace Nestor.Api.V1Alpha1;

/// <summary>A path on a persistent volume claim.</summary>
[Description("A path on a PersistentVolumeClaim, relative to the volume's root.")]
[ValidationRule(NoParentSegments, "path must not contain '..' segments")]
public sealed class VolumePath
{
    internal const string NoParentSegments =
        "!(self.path == '..' || self.path.startsWith('../') || self.path.endsWith('/..') || self.path.contains('/../'))";

    [JsonPropertyName("claimName")]
    [Description("The PersistentVolumeClaim (same namespace). Unset: the volume of the run's output.")]
    [Pattern(Patterns.DnsSubdomain)]
    [Length(Max = 253)]
    public string? ClaimName { get; set; }

    [JsonPropertyName("path")]
    [Description("The path relative to the volume's root, such as models/tiny-teacher or data/train.jsonl.")]
    [Pattern(Patterns.RelativePath)]
    [Length(Min = 1, Max = 1024)]
    [Required]
    public string Path { get; set; } = "";
}
