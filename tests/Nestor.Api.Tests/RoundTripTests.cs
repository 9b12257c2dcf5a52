using System.Collections;
using System.Reflection;
using System.Text.Json.Nodes;
using k8s;
using k8s.Models;
using Nestor.Api.Crds;
using Nestor.Api.Schema;
using Nestor.Api.Tests.Support;
using Nestor.Api.V1Alpha1;

namespace Nestor.Api.Tests;

/// <summary>Every kind survives System.Text.Json (KubernetesJson) and KubernetesClient's YAML unchanged, and what the operator writes passes the schema.</summary>
public sealed class RoundTripTests
{
    public static TheoryData<string> Kinds() => ["ElasticModel", "BudgetTier", "CompressionRun"];

    [Theory]
    [MemberData(nameof(Kinds))]
    public void JsonRoundTripKeepsEveryField(string kind)
    {
        var sample = Sample(kind);
        var json = KubernetesJson.Serialize(sample);
        var back = Deserialize(json, sample.GetType());
        Assert.Equal(json, KubernetesJson.Serialize(back));
        Assert.Contains($"\"apiVersion\":\"{NestorApi.GroupVersion}\"", json, StringComparison.Ordinal);
        Assert.Contains($"\"kind\":\"{kind}\"", json, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void YamlRoundTripThroughKubernetesClientKeepsEveryField(string kind)
    {
        var sample = Sample(kind);
        var yaml = KubernetesYaml.Serialize(sample);
        var back = typeof(KubernetesYaml).GetMethod(nameof(KubernetesYaml.Deserialize), [typeof(string), typeof(bool)])!
            .MakeGenericMethod(sample.GetType()).Invoke(null, [yaml, true]);
        var differences = JsonFidelity.Differences(JsonNode.Parse(KubernetesJson.Serialize(sample)), JsonNode.Parse(KubernetesJson.Serialize(back)));
        Assert.True(differences.Count == 0, string.Join("\n", differences));
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void SamplesSetEveryField(string kind)
    {
        // So that the round trips above cover a field as soon as it is added to a type.
        var seen = new HashSet<string>();
        var set = new HashSet<string>();
        Walk(Sample(kind), kind, seen, set);
        var unset = seen.Except(set).Order().ToList();
        Assert.True(unset.Count == 0, "Samples leave these fields unset (add them to Support/Samples.cs):\n" + string.Join("\n", unset));
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void StatusTheOperatorWritesPassesTheSchema(string kind)
    {
        var crd = CrdBuilder.BuildAll().Single(c => c.Kind == kind);
        var validator = new SchemaValidator(crd.Definition["spec"]!["versions"]![0]!["schema"]!["openAPIV3Schema"]!.AsObject());
        var example = ManifestFiles.Load("examples/quickstart").First(d => d.Kind == kind).Json;
        example["status"] = JsonNode.Parse(KubernetesJson.Serialize(Sample(kind)))!["status"]!.DeepClone();
        var errors = validator.Validate(example);
        Assert.True(errors.Count == 0, string.Join("\n", errors));
    }

    public static TheoryData<string, string> MinimalObjects() => new()
    {
        { "ElasticModel", """{"spec":{"source":{"uri":{"url":"hf://org/model"}},"weightVolume":{"claimTemplate":{"size":"1Gi"}},"runtime":{"gpu":{"count":1}},"loader":{}}}""" },
        { "BudgetTier", """{"spec":{"modelRef":{"name":"m"},"budget":"b","maxReplicas":2,"autoscaling":{"metricsSource":{"type":"Prometheus","prometheus":{"address":"http://p:9090"}}},"service":{},"gpu":{"count":1}}}""" },
        { "CompressionRun", """{"spec":{"parentModel":{"checkpoint":{"path":"p"}},"budgets":[{"name":"a","targetFraction":1}],"dataset":{"builtin":{"task":"t"}},"router":{},"distillation":{},"optimizer":{},"resources":{"gpu":{"count":1}},"output":{"elasticModelRef":{"name":"m"}}}}""" },
    };

    [Theory]
    [MemberData(nameof(MinimalObjects))]
    public void ServerDefaultsEqualTheCSharpDefaults(string kind, string minimal)
    {
        // What the API server stores for a minimal object (its defaults applied) must be exactly what
        // the C# type writes for it (its initial values): a field with a C# initial value but no
        // schema default, or the reverse, would make the operator and the cluster disagree.
        var crd = CrdBuilder.BuildAll().Single(c => c.Kind == kind);
        var validator = new SchemaValidator(crd.Definition["spec"]!["versions"]![0]!["schema"]!["openAPIV3Schema"]!.AsObject());
        var obj = JsonNode.Parse(minimal)!.AsObject();
        obj["apiVersion"] = NestorApi.GroupVersion;
        obj["kind"] = kind;
        obj["metadata"] = new JsonObject { ["name"] = "x" };
        Assert.Empty(validator.Validate(obj));

        var fromServer = validator.WithDefaults(obj);
        var fromCode = JsonNode.Parse(KubernetesJson.Serialize(Deserialize(obj.ToJsonString(), crd.Resource)))!;
        Assert.True(JsonNode.DeepEquals(fromServer, fromCode), $"server:\n{fromServer.ToJsonString()}\ncode:\n{fromCode.ToJsonString()}");
        Assert.NotEqual(obj.ToJsonString(), fromServer.ToJsonString());
    }

    private static object Sample(string kind) => kind switch
    {
        "ElasticModel" => Samples.ElasticModel(),
        "BudgetTier" => Samples.BudgetTier(),
        "CompressionRun" => Samples.CompressionRun(),
        _ => throw new ArgumentOutOfRangeException(nameof(kind)),
    };

    private static object Deserialize(string json, Type type) =>
        typeof(KubernetesJson).GetMethod(nameof(KubernetesJson.Deserialize), [typeof(string), typeof(System.Text.Json.JsonSerializerOptions)])!
            .MakeGenericMethod(type).Invoke(null, [json, null])!;

    /// <summary>Records every field path met (list items and map values merged) and those set at least once.</summary>
    private static void Walk(object? value, string path, HashSet<string> seen, HashSet<string> set)
    {
        if (value is null || !SchemaBuilderTypes.IsNestor(value.GetType()))
        {
            return;
        }

        foreach (var property in value.GetType().GetProperties(BindingFlags.Public | BindingFlags.Instance).Where(p => p.IsDefined(typeof(DescriptionAttribute))))
        {
            var child = property.GetValue(value);
            var childPath = $"{path}.{property.Name}";
            seen.Add(childPath);
            if (child is null || child is ICollection { Count: 0 })
            {
                continue;
            }

            set.Add(childPath);
            var children = child switch
            {
                IDictionary dictionary => dictionary.Values.Cast<object?>(),
                IEnumerable items and not string => items.Cast<object?>(),
                _ => [child],
            };
            foreach (var item in children)
            {
                Walk(item, childPath, seen, set);
            }
        }
    }

    private static class SchemaBuilderTypes
    {
        public static bool IsNestor(Type type) => type.Namespace?.StartsWith("Nestor.Api", StringComparison.Ordinal) == true && type != typeof(V1ObjectMeta);
    }
}
