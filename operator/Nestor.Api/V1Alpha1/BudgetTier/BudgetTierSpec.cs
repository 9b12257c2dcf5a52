using System.Text.Json.Serialization;
using k8s.Models;
using Nestor.Api.Schema;

namespace Nestor.Api.V1Alpha1;

/// <summary>The desired state of a <see cref="BudgetTier"/>.</summary>
[Description("The desired state of a BudgetTier.")]
[ValidationRule("!has(self.minReplicas) || !has(self.maxReplicas) || self.minReplicas <= self.maxReplicas",
    "minReplicas must not be greater than maxReplicas", FieldPath = ".minReplicas")]
[ValidationRule(AutoscalingOn + " ? has(self.maxReplicas) : true",
    "maxReplicas is required while autoscaling is enabled", FieldPath = ".maxReplicas", Reason = "FieldValueRequired")]
[ValidationRule(AutoscalingOn + " ? !has(self.replicas) : true",
    "replicas must be unset while autoscaling is enabled: the autoscaler alone sizes the tier (bound it with minReplicas and maxReplicas, or set autoscaling.enabled to false)",
    FieldPath = ".replicas", Reason = "FieldValueForbidden")]
[ValidationRule("!has(self.degradeTo) || self.degradeTo != self.budget",
    "degradeTo must name a budget other than budget", FieldPath = ".degradeTo")]
public sealed class BudgetTierSpec
{
    internal const string AutoscalingOn = "(has(self.autoscaling) && (!has(self.autoscaling.enabled) || self.autoscaling.enabled))";

    [JsonPropertyName("modelRef")]
    [Description("The ElasticModel (same namespace) whose checkpoint the tier serves.")]
    [Required]
    public NameReference ModelRef { get; set; } = new();

    [JsonPropertyName("budget")]
    [Description("The budget to serve, one of the model's budgets (for example full, b75, b50). A budget the checkpoint lacks gives Ready=False with reason BudgetNotFound and no pods. Changing it rolls the tier's pods.")]
    [Required]
    [Pattern(Patterns.DnsLabel)]
    [Length(Min = 1, Max = 63)]
    public string Budget { get; set; } = "";

    [JsonPropertyName("replicas")]
    [Description("The number of pods while autoscaling is disabled; unset means minReplicas. Must be unset while autoscaling is enabled: the autoscaler then writes its decision to status.desiredReplicas, never to spec, so Git and the autoscaler never fight. HPA, KEDA and kubectl scale set this field through the scale subresource.")]
    [Minimum(0)]
    [Maximum(1000)]
    public int? Replicas { get; set; }

    [JsonPropertyName("minReplicas")]
    [Description("The fewest pods the autoscaler keeps while the tier serves (scale to zero is autoscaling.allowScaleToZero).")]
    [Default]
    [Minimum(1)]
    [Maximum(1000)]
    public int MinReplicas { get; set; } = 1;

    [JsonPropertyName("maxReplicas")]
    [Description("The most pods the autoscaler may run: the tier's share of the GPU budget. Required while autoscaling is enabled.")]
    [Minimum(1)]
    [Maximum(1000)]
    public int? MaxReplicas { get; set; }

    [JsonPropertyName("autoscaling")]
    [Description("The operator's autoscaler for this tier. Absent: the tier has spec.replicas pods (or what an HPA or KEDA sets through the scale subresource).")]
    public AutoscalingSpec? Autoscaling { get; set; }

    [JsonPropertyName("loadFullModel")]
    [Description("Load the whole checkpoint in every pod instead of only this budget's slice (more memory and a slower start, but a pod can then serve every budget, for example to degrade to a smaller one).")]
    [Default]
    public bool LoadFullModel { get; set; }

    [JsonPropertyName("resources")]
    [Description("Overrides the model's runtime.resources.")]
    public V1ResourceRequirements? Resources { get; set; }

    [JsonPropertyName("gpu")]
    [Description("Overrides the model's runtime.gpu (a smaller budget may need fewer or smaller GPUs).")]
    public GpuSpec? Gpu { get; set; }

    [JsonPropertyName("nodeSelector")]
    [Description("Overrides the model's runtime.nodeSelector.")]
    [Items(Max = 64)]
    public IDictionary<string, string>? NodeSelector { get; set; }

    [JsonPropertyName("tolerations")]
    [Description("Overrides the model's runtime.tolerations.")]
    [Items(Max = 64)]
    public IList<V1Toleration>? Tolerations { get; set; }

    [JsonPropertyName("affinity")]
    [Description("Overrides the model's runtime.affinity.")]
    public V1Affinity? Affinity { get; set; }

    [JsonPropertyName("env")]
    [Description("Overrides the model's runtime.env.")]
    [Items(Max = 128)]
    public IList<V1EnvVar>? Env { get; set; }

    [JsonPropertyName("runtime")]
    [Description("Settings of `nestor serve` in this tier's pods.")]
    public TierRuntimeSettings? Runtime { get; set; }

    [JsonPropertyName("service")]
    [Description("The tier's Service, named like the tier.")]
    public TierServiceSpec? Service { get; set; }

    [JsonPropertyName("degradeTo")]
    [Description("A smaller budget of the same model to serve overflow with while this tier is at maxReplicas and still over its targets: requests that opt in are answered by that budget instead of queuing (the response says which budget served it). Unset: never degrade.")]
    [Pattern(Patterns.DnsLabel)]
    [Length(Max = 63)]
    public string? DegradeTo { get; set; }

    [JsonPropertyName("terminationGracePeriodSeconds")]
    [Description("How long a pod being removed may take to finish its in-flight requests (streams included) before it is killed. The pod stops taking new requests at once (readiness fails, a preStop delay lets endpoints update).")]
    [Default]
    [Minimum(5)]
    [Maximum(3600)]
    public long TerminationGracePeriodSeconds { get; set; } = 120;
}

/// <summary>The flags of `nestor serve` the tier sets.</summary>
[Description("Settings of `nestor serve` in the tier's pods. Unset fields take the server's defaults.")]
public sealed class TierRuntimeSettings
{
    [JsonPropertyName("maxBatch")]
    [Description("The most sequences decoded together (--max-batch).")]
    [Minimum(1)]
    [Maximum(4096)]
    public int? MaxBatch { get; set; }

    [JsonPropertyName("maxQueue")]
    [Description("The most requests waiting per pod before it answers 429 (--max-queue).")]
    [Minimum(0)]
    [Maximum(100000)]
    public int? MaxQueue { get; set; }

    [JsonPropertyName("maxPromptTokens")]
    [Description("The longest prompt accepted, in tokens (--max-prompt-tokens).")]
    [Minimum(1)]
    public int? MaxPromptTokens { get; set; }

    [JsonPropertyName("maxTokens")]
    [Description("The most tokens generated per request (--max-tokens).")]
    [Minimum(1)]
    public int? MaxTokens { get; set; }

    [JsonPropertyName("extraArgs")]
    [Description("More arguments for `nestor serve`, appended after the operator's.")]
    [Items(Max = 64)]
    [ItemConstraints(MaxLength = 1024)]
    public IList<string>? ExtraArgs { get; set; }
}

/// <summary>The tier's Service.</summary>
[Description("The tier's Service (named like the tier, selecting its ready pods).")]
public sealed class TierServiceSpec
{
    public const int DefaultPort = 8000;

    [JsonPropertyName("port")]
    [Description("The Service's port (the pods listen on 8000).")]
    [Default]
    [Minimum(1)]
    [Maximum(65535)]
    public int Port { get; set; } = DefaultPort;

    [JsonPropertyName("type")]
    [Description("The Service's type.")]
    [Default]
    public TierServiceType Type { get; set; } = TierServiceType.ClusterIP;

    [JsonPropertyName("annotations")]
    [Description("Annotations for the Service (for example of a cloud load balancer).")]
    [Items(Max = 64)]
    public IDictionary<string, string>? Annotations { get; set; }
}

/// <summary>The Service types a tier can have.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<TierServiceType>))]
public enum TierServiceType
{
    [Description("A cluster-internal virtual IP.")]
    ClusterIP,

    [Description("ClusterIP plus a port on every node.")]
    NodePort,

    [Description("NodePort plus a cloud load balancer.")]
    LoadBalancer,
}
