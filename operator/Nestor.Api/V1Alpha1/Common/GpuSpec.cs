using System.Text.Json.Serialization;
using Nestor.Api.Schema;

namespace Nestor.Api.V1Alpha1;

/// <summary>The GPUs each pod asks for: added to the container's limits, and a node selector for the product.</summary>
[Description("GPUs per pod. The operator adds count x resourceName to the container's limits (and requests), and, when product is set, the node selector <productLabel>=<product>.")]
public sealed class GpuSpec
{
    public const string DefaultResourceName = "nvidia.com/gpu";
    public const string DefaultProductLabel = "nvidia.com/gpu.product";

    [JsonPropertyName("count")]
    [Description("GPUs per pod. 0 runs on CPU.")]
    [Required]
    [Minimum(0)]
    [Maximum(64)]
    public int Count { get; set; }

    [JsonPropertyName("resourceName")]
    [Description("The extended resource that counts GPUs on nodes (the device plugin's name).")]
    [Default]
    [Pattern(Patterns.QualifiedName)]
    [Length(Max = 253)]
    public string ResourceName { get; set; } = DefaultResourceName;

    [JsonPropertyName("product")]
    [Description("The GPU model the pods need, as the node label value (for example NVIDIA-H100-80GB-HBM3). Unset: any.")]
    [Length(Max = 63)]
    public string? Product { get; set; }

    [JsonPropertyName("productLabel")]
    [Description("The node label that carries the GPU model (GPU feature discovery's label by default).")]
    [Default]
    [Pattern(Patterns.QualifiedName)]
    [Length(Max = 253)]
    public string ProductLabel { get; set; } = DefaultProductLabel;
}
