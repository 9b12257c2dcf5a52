using System.Text.Json.Serialization;
using k8s.Models;
using Nestor.Api.Schema;

namespace Nestor.Api.V1Alpha1;

/// <summary>Nodes, GPUs and scheduling of a run's trainer pods.</summary>
[Description("Nodes, GPUs and scheduling of the trainer pods (one pod per node).")]
public sealed class TrainingResources
{
    [JsonPropertyName("nodes")]
    [Description("Nodes (pods) the run uses. More than one makes an Indexed Job with a headless Service and the environment of a distributed trainer (WORLD_SIZE, RANK from the completion index, MASTER_ADDR, MASTER_PORT); the built-in trainer is single-node.")]
    [Default]
    [Minimum(1)]
    [Maximum(1024)]
    public int Nodes { get; set; } = 1;

    [JsonPropertyName("gpu")]
    [Description("GPUs per node (per trainer pod). Unset or count 0: CPU.")]
    public GpuSpec? Gpu { get; set; }

    [JsonPropertyName("requests")]
    [Description("Resource requests of each trainer pod (cpu, memory, ephemeral-storage, ...). GPUs are set with gpu.")]
    [Items(Max = 16)]
    public IDictionary<string, ResourceQuantity>? Requests { get; set; }

    [JsonPropertyName("limits")]
    [Description("Resource limits of each trainer pod.")]
    [Items(Max = 16)]
    public IDictionary<string, ResourceQuantity>? Limits { get; set; }

    [JsonPropertyName("nodeSelector")]
    [Description("Node labels the trainer pods must match.")]
    [Items(Max = 64)]
    public IDictionary<string, string>? NodeSelector { get; set; }

    [JsonPropertyName("tolerations")]
    [Description("Tolerations of the trainer pods.")]
    [Items(Max = 64)]
    public IList<V1Toleration>? Tolerations { get; set; }

    [JsonPropertyName("affinity")]
    [Description("Scheduling affinity of the trainer pods.")]
    public V1Affinity? Affinity { get; set; }

    [JsonPropertyName("priorityClassName")]
    [Description("The PriorityClass of the trainer pods.")]
    [Pattern(Patterns.DnsSubdomain)]
    [Length(Max = 253)]
    public string? PriorityClassName { get; set; }
}

/// <summary>The trainer container, for a custom image or an external trainer.</summary>
[Description("The trainer container. An external trainer (command set) must honour the built-in one's contract: read the configuration from $NESTOR_CONFIG, write progress to $NESTOR_WORK_DIR/progress.json, resume from the state in $NESTOR_WORK_DIR, and publish the checkpoint atomically under $NESTOR_OUTPUT_DIR (docs/checkpoint-format.md).")]
public sealed class TrainerSpec
{
    [JsonPropertyName("image")]
    [Description("The image. Unset: the runtime image the operator was installed with.")]
    [Length(Max = 1024)]
    public string? Image { get; set; }

    [JsonPropertyName("imagePullPolicy")]
    [Description("The image pull policy.")]
    public ImagePullPolicy? ImagePullPolicy { get; set; }

    [JsonPropertyName("imagePullSecrets")]
    [Description("Secrets for pulling the image.")]
    [Items(Max = 16)]
    public IList<V1LocalObjectReference>? ImagePullSecrets { get; set; }

    [JsonPropertyName("command")]
    [Description("The entrypoint. Unset: [nestor, elastify].")]
    [Items(Max = 64)]
    [ItemConstraints(MaxLength = 4096)]
    public IList<string>? Command { get; set; }

    [JsonPropertyName("args")]
    [Description("Arguments. Unset: those of `nestor elastify` for this run.")]
    [Items(Max = 256)]
    [ItemConstraints(MaxLength = 4096)]
    public IList<string>? Args { get; set; }

    [JsonPropertyName("env")]
    [Description("Extra environment variables.")]
    [Items(Max = 128)]
    public IList<V1EnvVar>? Env { get; set; }

    [JsonPropertyName("serviceAccountName")]
    [Description("The ServiceAccount of the trainer pods (for example one with access to object storage). Unset: the namespace's default.")]
    [Pattern(Patterns.DnsSubdomain)]
    [Length(Max = 253)]
    public string? ServiceAccountName { get; set; }
}
