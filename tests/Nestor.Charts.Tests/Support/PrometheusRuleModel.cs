using System.Text.Json.Serialization;
using k8s;
using k8s.Models;

namespace Nestor.Charts.Tests.Support;

/// <summary>
/// monitoring.coreos.com/v1 PrometheusRule, the fields of the Prometheus Operator's API the chart may
/// render (KubernetesClient ships no type for it).
/// </summary>
public sealed class PrometheusRuleModel : IKubernetesObject<V1ObjectMeta>
{
    [JsonPropertyName("apiVersion")]
    public string ApiVersion { get; set; } = "monitoring.coreos.com/v1";

    [JsonPropertyName("kind")]
    public string Kind { get; set; } = "PrometheusRule";

    [JsonPropertyName("metadata")]
    public V1ObjectMeta Metadata { get; set; } = new();

    [JsonPropertyName("spec")]
    public PrometheusRuleSpec? Spec { get; set; }
}

public sealed class PrometheusRuleSpec
{
    [JsonPropertyName("groups")]
    public IList<RuleGroup>? Groups { get; set; }
}

public sealed class RuleGroup
{
    [JsonPropertyName("name")]
    public string Name { get; set; } = "";

    [JsonPropertyName("interval")]
    public string? Interval { get; set; }

    [JsonPropertyName("rules")]
    public IList<Rule>? Rules { get; set; }
}

public sealed class Rule
{
    [JsonPropertyName("alert")]
    public string? Alert { get; set; }

    [JsonPropertyName("record")]
    public string? Record { get; set; }

    [JsonPropertyName("expr")]
    public string Expr { get; set; } = "";

    [JsonPropertyName("for")]
    public string? For { get; set; }

    [JsonPropertyName("labels")]
    public IDictionary<string, string>? Labels { get; set; }

    [JsonPropertyName("annotations")]
    public IDictionary<string, string>? Annotations { get; set; }
}
