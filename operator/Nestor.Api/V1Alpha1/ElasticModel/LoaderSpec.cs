using System.Text.Json.Serialization;
using k8s.Models;
using Nestor.Api.Schema;

namespace Nestor.Api.V1Alpha1;

/// <summary>Settings of the loader Job that brings a checkpoint onto the weight volume.</summary>
[Description("The loader Job: it downloads (uri) or copies (a checkpoint outside checkpoints/<model>/) the checkpoint onto the weight volume, checks that it loads, and computes its digest. It runs the runtime image with runtime's nodeSelector and tolerations, and no GPU.")]
public sealed class LoaderSpec
{
    [JsonPropertyName("resources")]
    [Description("Resources of the loader container. Unset: 1 CPU and 2Gi of memory requested.")]
    public V1ResourceRequirements? Resources { get; set; }

    [JsonPropertyName("backoffLimit")]
    [Description("Retries before the load is marked failed.")]
    [Default]
    [Minimum(0)]
    [Maximum(100)]
    public int BackoffLimit { get; set; } = 3;

    [JsonPropertyName("activeDeadlineSeconds")]
    [Description("The longest a load may run, in seconds. Unset: no limit.")]
    [Minimum(1)]
    public long? ActiveDeadlineSeconds { get; set; }
}
