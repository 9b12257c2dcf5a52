using System.Text.Json.Serialization;
using k8s;
using k8s.Models;

namespace Nestor.Operator.Core.Tests.Fixtures;

/// <summary>A test custom resource: its reconciler copies spec.value into a child ConfigMap and into status.</summary>
[KubernetesEntity(Group = Group, ApiVersion = Version, Kind = "Widget", PluralName = "widgets")]
public sealed class Widget : IKubernetesObject<V1ObjectMeta>
{
    public const string Group = "test.nestor.dev";
    public const string Version = "v1";

    [JsonPropertyName("apiVersion")]
    public string ApiVersion { get; set; } = Group + "/" + Version;

    [JsonPropertyName("kind")]
    public string Kind { get; set; } = "Widget";

    [JsonPropertyName("metadata")]
    public V1ObjectMeta Metadata { get; set; } = new();

    [JsonPropertyName("spec")]
    public WidgetSpec Spec { get; set; } = new();

    [JsonPropertyName("status")]
    public WidgetStatus? Status { get; set; }

    public static Widget New(string name, string value, string ns = "default") => new()
    {
        Metadata = new V1ObjectMeta { Name = name, NamespaceProperty = ns },
        Spec = new WidgetSpec { Value = value },
    };

    public static V1CustomResourceDefinition Definition() => KubernetesYaml.Deserialize<V1CustomResourceDefinition>("""
        apiVersion: apiextensions.k8s.io/v1
        kind: CustomResourceDefinition
        metadata:
          name: widgets.test.nestor.dev
        spec:
          group: test.nestor.dev
          scope: Namespaced
          names: {plural: widgets, singular: widget, kind: Widget, listKind: WidgetList}
          versions:
          - name: v1
            served: true
            storage: true
            subresources: {status: {}}
            schema:
              openAPIV3Schema:
                type: object
                properties:
                  spec:
                    type: object
                    properties:
                      value: {type: string}
                  status:
                    type: object
                    properties:
                      observedGeneration: {type: integer, format: int64}
                      value: {type: string}
                      child: {type: string}
        """);
}

public sealed class WidgetSpec
{
    [JsonPropertyName("value")]
    public string Value { get; set; } = "";
}

public sealed class WidgetStatus
{
    [JsonPropertyName("observedGeneration")]
    public long? ObservedGeneration { get; set; }

    [JsonPropertyName("value")]
    public string? Value { get; set; }

    [JsonPropertyName("child")]
    public string? Child { get; set; }
}
