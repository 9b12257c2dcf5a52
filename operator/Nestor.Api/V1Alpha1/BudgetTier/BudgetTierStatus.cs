using System.Text.Json.Serialization;
using k8s.Models;
using Nestor.Api.Schema;

namespace Nestor.Api.V1Alpha1;

/// <summary>The observed state of a <see cref="BudgetTier"/>.</summary>
[Description("The observed state of a BudgetTier, and the autoscaler's last decision.")]
public sealed class BudgetTierStatus
{
    [JsonPropertyName("observedGeneration")]
    [Description("The metadata.generation this status describes.")]
    public long? ObservedGeneration { get; set; }

    [JsonPropertyName("conditions")]
    [Description("Ready: the checkpoint has the budget and at least desiredReplicas pods (one, at zero: none) are ready on the current digest. Scaling: a scale decision is being carried out (reason ScalingUp or ScalingDown). Degraded: overflow is being served by degradeTo, metrics are missing, or maxReplicas is not enough for the targets.")]
    [ListMap("type")]
    [Items(Max = 16)]
    public IList<V1Condition>? Conditions { get; set; }

    [JsonPropertyName("replicas")]
    [Description("Pods of the tier's Deployment (the scale subresource's status.replicas).")]
    public int? Replicas { get; set; }

    [JsonPropertyName("readyReplicas")]
    [Description("Ready pods.")]
    public int? ReadyReplicas { get; set; }

    [JsonPropertyName("updatedReplicas")]
    [Description("Pods running the current pod template (current digest and settings).")]
    public int? UpdatedReplicas { get; set; }

    [JsonPropertyName("desiredReplicas")]
    [Description("The pods the tier should have now: the autoscaler's decision while it is enabled, else spec.replicas (or minReplicas).")]
    public int? DesiredReplicas { get; set; }

    [JsonPropertyName("selector")]
    [Description("The label selector of the tier's pods, in string form (for the scale subresource, so an HPA can find the pods).")]
    public string? Selector { get; set; }

    [JsonPropertyName("lastScaleTime")]
    [Description("When desiredReplicas last changed.")]
    public DateTime? LastScaleTime { get; set; }

    [JsonPropertyName("lastScaleReason")]
    [Description("Why it last changed, for example \"queue 37 > 4 pods x 8\" or \"idle for 600s\".")]
    public string? LastScaleReason { get; set; }

    [JsonPropertyName("metrics")]
    [Description("The tier's load at the autoscaler's last sample.")]
    public ObservedTierMetrics? Metrics { get; set; }

    [JsonPropertyName("checkpointDigest")]
    [Description("The checkpoint digest the tier's current pod template serves.")]
    public string? CheckpointDigest { get; set; }

    [JsonPropertyName("params")]
    [Description("The parameter count of the budget served.")]
    public long? Params { get; set; }

    [JsonPropertyName("servedModel")]
    [Description("The OpenAI model id that selects this tier's budget: <model>@<budget>.")]
    public string? ServedModel { get; set; }

    [JsonPropertyName("endpoint")]
    [Description("The base URL of the tier's OpenAI-compatible API inside the cluster: http://<service>.<namespace>.svc:<port>/v1.")]
    public string? Endpoint { get; set; }
}

/// <summary>The load the autoscaler measured.</summary>
[Description("The load the autoscaler measured at its last sample, summed over the pods sampled.")]
public sealed class ObservedTierMetrics
{
    [JsonPropertyName("waiting")]
    [Description("Requests waiting (nestor_requests_waiting).")]
    public int Waiting { get; set; }

    [JsonPropertyName("running")]
    [Description("Requests running (nestor_requests_running).")]
    public int Running { get; set; }

    [JsonPropertyName("ttftP95Ms")]
    [Description("p95 time to first token over the latency window, in milliseconds; absent with no requests in the window.")]
    public double? TtftP95Ms { get; set; }

    [JsonPropertyName("e2eP95Ms")]
    [Description("p95 end-to-end latency over the latency window, in milliseconds; absent with no requests in the window.")]
    public double? E2eP95Ms { get; set; }

    [JsonPropertyName("sampledAt")]
    [Description("When the sample was taken.")]
    public DateTime? SampledAt { get; set; }

    [JsonPropertyName("podsSampled")]
    [Description("Pods whose metrics were read.")]
    public int PodsSampled { get; set; }
}

/// <summary>The condition types of a <see cref="BudgetTier"/>.</summary>
public static class BudgetTierConditions
{
    public const string Ready = "Ready";
    public const string Scaling = "Scaling";
    public const string Degraded = "Degraded";
}
