using System.Text.Json.Serialization;
using Nestor.Api.Schema;

namespace Nestor.Api.V1Alpha1;

/// <summary>The targets and behaviour of a tier's autoscaler.</summary>
[Description("The operator's autoscaler. Every syncPeriodSeconds it samples the tier's ready pods; desired replicas = ceil((waiting + running) / targetQueueDepthPerReplica), raised while p95 time to first token or end-to-end latency over latencyWindowSeconds is above its target; bounded by minReplicas, maxReplicas and the step limits. The decision goes to status.desiredReplicas (never to spec), with the reason, an Event and a metric.")]
[ValidationRule("self.metricsSource.type != 'Prometheus' || has(self.metricsSource.prometheus)",
    "metricsSource.prometheus is required when metricsSource.type is Prometheus", FieldPath = ".metricsSource.prometheus", Reason = "FieldValueRequired")]
public sealed class AutoscalingSpec
{
    [JsonPropertyName("enabled")]
    [Description("Whether the autoscaler sizes the tier. False keeps the settings but hands the replica count back to spec.replicas.")]
    [Default]
    public bool Enabled { get; set; } = true;

    [JsonPropertyName("targetQueueDepthPerReplica")]
    [Description("The requests (waiting + running) one pod should have at most on average.")]
    [Default]
    [Minimum(1)]
    [Maximum(100000)]
    public int TargetQueueDepthPerReplica { get; set; } = 8;

    [JsonPropertyName("targetTtftP95Ms")]
    [Description("The p95 time to first token to stay under, in milliseconds. Unset: not a target.")]
    [Minimum(1)]
    public int? TargetTtftP95Ms { get; set; }

    [JsonPropertyName("targetE2eP95Ms")]
    [Description("The p95 end-to-end request latency to stay under, in milliseconds. Unset: not a target.")]
    [Minimum(1)]
    public int? TargetE2eP95Ms { get; set; }

    [JsonPropertyName("latencyWindowSeconds")]
    [Description("The window over which latency percentiles are computed.")]
    [Default]
    [Minimum(5)]
    [Maximum(3600)]
    public int LatencyWindowSeconds { get; set; } = 60;

    [JsonPropertyName("scaleUpStabilizationSeconds")]
    [Description("Scale up to the lowest recommendation of this window (0: at once, the default, so a burst is met in one sync period).")]
    [Default]
    [Minimum(0)]
    [Maximum(3600)]
    public int ScaleUpStabilizationSeconds { get; set; }

    [JsonPropertyName("scaleDownStabilizationSeconds")]
    [Description("Scale down only to the highest recommendation of this window, so short lulls never remove pods.")]
    [Default]
    [Minimum(0)]
    [Maximum(3600)]
    public int ScaleDownStabilizationSeconds { get; set; } = 300;

    [JsonPropertyName("maxScaleUpStep")]
    [Description("The most pods added by one decision.")]
    [Default]
    [Minimum(1)]
    [Maximum(1000)]
    public int MaxScaleUpStep { get; set; } = 4;

    [JsonPropertyName("maxScaleDownStep")]
    [Description("The most pods removed by one decision.")]
    [Default]
    [Minimum(1)]
    [Maximum(1000)]
    public int MaxScaleDownStep { get; set; } = 1;

    [JsonPropertyName("syncPeriodSeconds")]
    [Description("How often the tier's metrics are sampled and a decision is made.")]
    [Default]
    [Minimum(1)]
    [Maximum(300)]
    public int SyncPeriodSeconds { get; set; } = 1;

    [JsonPropertyName("metricsStaleAfterSeconds")]
    [Description("A pod's sample older than this counts as missing.")]
    [Default]
    [Minimum(1)]
    [Maximum(3600)]
    public int MetricsStaleAfterSeconds { get; set; } = 15;

    [JsonPropertyName("onMissingMetrics")]
    [Description("What to do while no pod's metrics can be read (or all are stale). The autoscaler never scales to zero because metrics went missing.")]
    [Default]
    public MissingMetricsPolicy OnMissingMetrics { get; set; } = MissingMetricsPolicy.Hold;

    [JsonPropertyName("allowScaleToZero")]
    [Description("Whether the tier may drop to zero pods after idleSecondsBeforeZero with no request. docs/autoscaling.md says how a request reaches a tier at zero.")]
    [Default]
    public bool AllowScaleToZero { get; set; }

    [JsonPropertyName("idleSecondsBeforeZero")]
    [Description("How long the tier must have had no request (waiting + running = 0 on every pod) before it scales to zero.")]
    [Default]
    [Minimum(0)]
    [Maximum(604800)]
    public int IdleSecondsBeforeZero { get; set; } = 600;

    [JsonPropertyName("metricsSource")]
    [Description("Where the metrics come from.")]
    [Default]
    public MetricsSource MetricsSource { get; set; } = new();
}

/// <summary>What the autoscaler does while metrics are missing.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<MissingMetricsPolicy>))]
public enum MissingMetricsPolicy
{
    [Description("Keep the current replica count (the default).")]
    Hold,

    [Description("Go to minReplicas (never below it).")]
    ScaleToMin,

    [Description("Go to maxReplicas (safe for latency, costly).")]
    ScaleToMax,
}

/// <summary>Where the autoscaler reads the tier's load.</summary>
[Description("Where the autoscaler reads the tier's load.")]
public sealed class MetricsSource
{
    [JsonPropertyName("type")]
    [Description("Pods: scrape every ready pod's /metrics directly (no metrics pipeline, no delay). Prometheus: run the queries below.")]
    [Default]
    public MetricsSourceType Type { get; set; } = MetricsSourceType.Pods;

    [JsonPropertyName("prometheus")]
    [Description("The Prometheus server and queries, for type Prometheus.")]
    public PrometheusSource? Prometheus { get; set; }
}

/// <summary>The kinds of metrics source.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<MetricsSourceType>))]
public enum MetricsSourceType
{
    [Description("Scrape each ready pod's /metrics.")]
    Pods,

    [Description("Query a Prometheus server.")]
    Prometheus,
}

/// <summary>A Prometheus server and the queries that give the tier's load.</summary>
[Description("A Prometheus server and the queries that give the tier's load. In every query, $namespace, $tier and $budget are replaced by the tier's; each query returns one scalar or a one-sample vector.")]
public sealed class PrometheusSource
{
    [JsonPropertyName("address")]
    [Description("The server's base URL, for example http://prometheus-operated.monitoring.svc:9090.")]
    [Required]
    [Pattern(Patterns.HttpUrl)]
    [Length(Max = 2048)]
    public string Address { get; set; } = "";

    [JsonPropertyName("queueDepthQuery")]
    [Description("The requests waiting + running across the tier. Unset: the sum of nestor_requests_waiting and nestor_requests_running over the tier's pods.")]
    [Length(Max = 4096)]
    public string? QueueDepthQuery { get; set; }

    [JsonPropertyName("ttftP95Query")]
    [Description("The p95 time to first token, in seconds. Unset: the 0.95 histogram_quantile of nestor_time_to_first_token_seconds over the tier's pods and latencyWindowSeconds.")]
    [Length(Max = 4096)]
    public string? TtftP95Query { get; set; }

    [JsonPropertyName("e2eP95Query")]
    [Description("The p95 end-to-end latency, in seconds. Unset: the 0.95 histogram_quantile of nestor_e2e_request_latency_seconds over the tier's pods and latencyWindowSeconds.")]
    [Length(Max = 4096)]
    public string? E2eP95Query { get; set; }
}
