using System.Text.Json.Serialization;
using k8s;
using k8s.Models;

namespace Nestor.Charts.Tests.Support;

/// <summary>
/// monitoring.coreos.com/v1 ServiceMonitor, only the fields the chart may render (names as in the
/// Prometheus Operator's API reference). KubernetesClient ships no type for it.
/// </summary>
public sealed class ServiceMonitorModel : IKubernetesObject<V1ObjectMeta>
{
    [JsonPropertyName("apiVersion")]
    public string ApiVersion { get; set; } = "monitoring.coreos.com/v1";

    [JsonPropertyName("kind")]
    public string Kind { get; set; } = "ServiceMonitor";

    [JsonPropertyName("metadata")]
    public V1ObjectMeta Metadata { get; set; } = new();

    [JsonPropertyName("spec")]
    public ServiceMonitorSpec? Spec { get; set; }
}

public sealed class ServiceMonitorSpec
{
    [JsonPropertyName("jobLabel")]
    public string? JobLabel { get; set; }

    [JsonPropertyName("selector")]
    public V1LabelSelector? Selector { get; set; }

    [JsonPropertyName("namespaceSelector")]
    public NamespaceSelector? NamespaceSelector { get; set; }

    [JsonPropertyName("endpoints")]
    public IList<ServiceMonitorEndpoint>? Endpoints { get; set; }
}

public sealed class NamespaceSelector
{
    [JsonPropertyName("any")]
    public bool? Any { get; set; }

    [JsonPropertyName("matchNames")]
    public IList<string>? MatchNames { get; set; }
}

public sealed class ServiceMonitorEndpoint
{
    [JsonPropertyName("port")]
    public string? Port { get; set; }

    [JsonPropertyName("path")]
    public string? Path { get; set; }

    [JsonPropertyName("scheme")]
    public string? Scheme { get; set; }

    [JsonPropertyName("interval")]
    public string? Interval { get; set; }

    [JsonPropertyName("scrapeTimeout")]
    public string? ScrapeTimeout { get; set; }
}
