using System.Reflection;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using k8s;
using k8s.Models;
using Nestor.Api.Crds;
using Nestor.Api.Manifests;
using Nestor.Api.Tests.Support;
using Nestor.Testing;

namespace Nestor.Api.Tests;

/// <summary>The generated CRDs are valid apiextensions.k8s.io/v1 objects with structural schemas, and carry the API's decisions.</summary>
public sealed class CrdSchemaTests
{
    private static readonly HashSet<string> SchemaKeywords =
    [
        "description", "type", "format", "enum", "default", "minimum", "exclusiveMinimum", "maximum", "exclusiveMaximum",
        "minLength", "maxLength", "pattern", "minItems", "maxItems", "minProperties", "maxProperties", "items", "properties",
        "additionalProperties", "required", "anyOf", "x-kubernetes-int-or-string", "x-kubernetes-list-type",
        "x-kubernetes-list-map-keys", "x-kubernetes-preserve-unknown-fields", "x-kubernetes-validations",
    ];

    public static TheoryData<string> CrdFiles() => [.. CrdArtifacts.CrdFiles(CrdBuilder.BuildAll()).Select(f => f.Path)];

    [Theory]
    [MemberData(nameof(CrdFiles))]
    public void CommittedCrdIsAStrictCustomResourceDefinition(string path)
    {
        var yaml = File.ReadAllText(RepoPaths.Combine(path));
        var strict = KubernetesYaml.Deserialize<V1CustomResourceDefinition>(yaml, strict: true);
        Assert.Equal("apiextensions.k8s.io/v1", strict.ApiVersion);

        var json = YamlToJson.Parse(yaml, path);
        var typed = KubernetesJson.Deserialize<V1CustomResourceDefinition>(json.ToJsonString());
        var differences = JsonFidelity.Differences(json, JsonNode.Parse(KubernetesJson.Serialize(typed)));
        Assert.True(differences.Count == 0, string.Join("\n", differences));

        var version = Assert.Single(typed.Spec.Versions);
        Assert.True(version.Served && version.Storage);
        Assert.Equal($"{typed.Spec.Names.Plural}.{NestorApi.Group}", typed.Metadata.Name);
        Assert.Equal("Namespaced", typed.Spec.Scope);
        Assert.Equal([NestorApi.Category], typed.Spec.Names.Categories);
        Assert.NotNull(version.Subresources.Status);
    }

    [Theory]
    [MemberData(nameof(CrdFiles))]
    public void SchemaIsStructural(string path)
    {
        var json = YamlToJson.Parse(File.ReadAllText(RepoPaths.Combine(path)), path);
        var root = json["spec"]!["versions"]![0]!["schema"]!["openAPIV3Schema"]!.AsObject();
        var problems = new List<string>();
        CheckNode(root, "", problems);

        var metadata = root["properties"]!["metadata"]!.AsObject();
        Assert.Equal("object", (string?)metadata["type"]);
        Assert.True(metadata.All(p => p.Key is "type" or "properties"), "metadata may only restrict name");
        Assert.True(metadata["properties"]?.AsObject().All(p => p.Key is "name" or "generateName") ?? true);
        Assert.Equal(["spec"], root["required"]!.AsArray().Select(n => (string?)n));
        Assert.True(problems.Count == 0, string.Join("\n", problems));
    }

    [Fact]
    public void EveryNestorListAndMapIsBoundedAndEveryFieldDescribed()
    {
        foreach (var crd in CrdBuilder.BuildAll())
        {
            foreach (var field in crd.Fields.Where(f => f.KubernetesType is null))
            {
                Assert.False(string.IsNullOrWhiteSpace(field.Description), $"{crd.Kind} {field.Path} has no description");
                var schema = field.Schema;
                if ((string?)schema["type"] == "array")
                {
                    Assert.True(schema["maxItems"] is not null, $"{crd.Kind} {field.Path}: a list needs maxItems (CEL cost bounds)");
                }

                if (schema["additionalProperties"] is not null)
                {
                    Assert.True(schema["maxProperties"] is not null, $"{crd.Kind} {field.Path}: a map needs maxProperties");
                }
            }
        }
    }

    [Fact]
    public void EveryCelRuleCompiles()
    {
        var rules = CrdBuilder.BuildAll().SelectMany(c => AllRules(Schema(c))).ToList();
        Assert.True(rules.Count >= 20, $"only {rules.Count} rules");
        foreach (var rule in rules)
        {
            Assert.NotNull(SchemaValidator.Compile((string)rule["rule"]!));
            Assert.False(string.IsNullOrWhiteSpace((string?)rule["message"]), $"rule {rule["rule"]} has no message");
        }
    }

    [Fact]
    public void JsonNamesAreTheCamelCasePropertyNames()
    {
        // KubernetesYaml maps YAML keys to camelCased C# names and ignores [JsonPropertyName]; keeping them
        // equal makes the YAML and JSON paths read every manifest the same way.
        var types = typeof(NestorApi).Assembly.GetTypes().Where(t => t.Namespace == "Nestor.Api.V1Alpha1" && t.IsClass);
        foreach (var property in types.SelectMany(t => t.GetProperties(BindingFlags.Public | BindingFlags.Instance)))
        {
            var name = property.GetCustomAttribute<JsonPropertyNameAttribute>()?.Name;
            Assert.True(name is not null, $"{property.DeclaringType!.Name}.{property.Name} has no [JsonPropertyName]");
            Assert.Equal(JsonNamingPolicy.CamelCase.ConvertName(property.Name), name);
        }
    }

    [Fact]
    public void ElasticModelCarriesItsDecisions()
    {
        var crd = CrdBuilder.Build(typeof(V1Alpha1.ElasticModel));
        var spec = Property(Schema(crd), "spec");
        Assert.Equal(["em"], Strings(crd.Definition["spec"]!["names"]!["shortNames"]));
        Assert.Contains(Rules(Property(spec, "source")), r => ((string)r["rule"]!).Contains("has(self.compressionRunRef)", StringComparison.Ordinal));
        var weightVolume = Property(spec, "weightVolume");
        Assert.Contains(Rules(weightVolume), r => (string?)r["rule"] == "self == oldSelf");
        Assert.Equal("/weights", (string?)Property(weightVolume, "mountPath")["default"]);
        var template = Property(weightVolume, "claimTemplate");
        Assert.Equal(["ReadWriteMany"], Strings(Property(template, "accessModes")["default"]));
        Assert.Equal("Retain", (string?)Property(template, "reclaimPolicy")["default"]);
        Assert.Equal(true, (bool?)Property(template, "size")["x-kubernetes-int-or-string"]);
        Assert.Equal("nvidia.com/gpu", (string?)Property(Property(Property(spec, "runtime"), "gpu"), "resourceName")["default"]);

        var conditions = Property(Property(Schema(crd), "status"), "conditions");
        Assert.Equal("map", (string?)conditions["x-kubernetes-list-type"]);
        Assert.Equal(["lastTransitionTime", "message", "reason", "status", "type"], Strings(conditions["items"]!["required"]).Order());
        Assert.Equal(["Digest", "Budgets", "Tiers", "Ready", "Reason", "Checkpoint", "Age"], Columns(crd));
    }

    [Fact]
    public void BudgetTierCarriesItsDecisions()
    {
        var crd = CrdBuilder.Build(typeof(V1Alpha1.BudgetTier));
        var version = crd.Definition["spec"]!["versions"]![0]!;
        Assert.Equal(".spec.replicas", (string?)version["subresources"]!["scale"]!["specReplicasPath"]);
        Assert.Equal(".status.replicas", (string?)version["subresources"]!["scale"]!["statusReplicasPath"]);
        Assert.Equal(".status.selector", (string?)version["subresources"]!["scale"]!["labelSelectorPath"]);
        Assert.Equal(["bt"], Strings(crd.Definition["spec"]!["names"]!["shortNames"]));

        var spec = Property(Schema(crd), "spec");
        var rules = Rules(spec).Select(r => (string)r["rule"]!).ToList();
        Assert.Contains(rules, r => r.Contains("self.minReplicas <= self.maxReplicas", StringComparison.Ordinal));
        Assert.Contains(rules, r => r.Contains("!has(self.replicas)", StringComparison.Ordinal));
        Assert.Null(Property(spec, "replicas")["default"]);
        Assert.Equal(1, (int?)Property(spec, "minReplicas")["default"]);

        var service = Property(spec, "service");
        Assert.Equal(8000, (int?)Property(service, "port")["default"]);
        Assert.Equal("ClusterIP", (string?)Property(service, "type")["default"]);
        Assert.Equal(["ClusterIP", "NodePort", "LoadBalancer"], Strings(Property(service, "type")["enum"]));

        var autoscaling = Property(spec, "autoscaling");
        Assert.Equal("Hold", (string?)Property(autoscaling, "onMissingMetrics")["default"]);
        Assert.Equal(["Hold", "ScaleToMin", "ScaleToMax"], Strings(Property(autoscaling, "onMissingMetrics")["enum"]));
        Assert.Equal(false, (bool?)Property(autoscaling, "allowScaleToZero")["default"]);
        Assert.Equal(300, (int?)Property(autoscaling, "scaleDownStabilizationSeconds")["default"]);
        Assert.Equal("Pods", (string?)Property(autoscaling, "metricsSource")["default"]!["type"]);
        Assert.Equal(["Model", "Budget", "Desired", "Ready", "Waiting", "TTFT-P95", "Last-Scale", "Digest", "Age"], Columns(crd));
        Assert.Equal(63, (int?)Property(Schema(crd), "metadata")["properties"]!["name"]!["maxLength"]);
    }

    [Fact]
    public void CompressionRunCarriesItsDecisions()
    {
        var crd = CrdBuilder.Build(typeof(V1Alpha1.CompressionRun));
        Assert.Equal(["cr"], Strings(crd.Definition["spec"]!["names"]!["shortNames"]));
        var status = Property(Schema(crd), "status");
        Assert.Equal(
            ["Pending", "EstimatingImportance", "TrainingStage1", "TrainingStage2", "Exporting", "Succeeded", "Failed", "Suspended"],
            Strings(Property(status, "phase")["enum"]));
        Assert.Equal("number", (string?)Property(Property(status, "progress"), "lossByBudget")["additionalProperties"]!["type"]);

        var spec = Property(Schema(crd), "spec");
        Assert.Contains(Rules(spec), r => ((string)r["rule"]!).Contains("s.budgetWeights.size() == self.budgets.size()", StringComparison.Ordinal));
        var router = Property(spec, "router");
        Assert.Equal(1.0, (double?)Property(router, "temperatureStart")["default"]);
        Assert.Equal(0.05, (double?)Property(router, "temperatureEnd")["default"]);
        Assert.Equal(9e-5, (double?)Property(Property(spec, "optimizer"), "learningRate")["default"]);
        foreach (var immutable in new[] { "parentModel", "budgets", "dataset", "output", "curriculum" })
        {
            Assert.Contains(Rules(Property(spec, immutable)), r => (string?)r["rule"] == "self == oldSelf");
        }

        foreach (var mutable in new[] { "suspend", "resources", "trainer", "backoffLimit" })
        {
            Assert.DoesNotContain(Rules(Property(spec, mutable)), r => (string?)r["rule"] == "self == oldSelf");
        }

        var targetFraction = Property(Property(spec, "budgets")["items"]!.AsObject(), "targetFraction");
        Assert.Equal(true, (bool?)targetFraction["exclusiveMinimum"]);
        Assert.Equal(1, (int?)targetFraction["maximum"]);
    }

    private static void CheckNode(JsonObject node, string path, List<string> problems)
    {
        foreach (var key in node.Select(p => p.Key).Where(k => !SchemaKeywords.Contains(k)))
        {
            problems.Add($"{path}: keyword {key} is not used by structural CRD schemas here");
        }

        var type = (string?)node["type"];
        if (node["x-kubernetes-int-or-string"] is not null)
        {
            var anyOf = node["anyOf"]?.AsArray().Select(a => (string?)a!["type"]).ToList();
            if (type is not null || anyOf is null || !anyOf.SequenceEqual(["integer", "string"]))
            {
                problems.Add($"{path}: int-or-string must be anyOf [integer, string] without a type");
            }
        }
        else if (type is null)
        {
            if (node["x-kubernetes-preserve-unknown-fields"] is null)
            {
                problems.Add($"{path}: no type");
            }
        }
        else if (node["anyOf"] is not null)
        {
            problems.Add($"{path}: anyOf outside int-or-string");
        }

        if (type == "object" && node["properties"] is null && node["additionalProperties"] is null && node["x-kubernetes-preserve-unknown-fields"] is null && path != ".metadata")
        {
            problems.Add($"{path}: object without properties or additionalProperties");
        }

        if (node["properties"] is not null && node["additionalProperties"] is not null)
        {
            problems.Add($"{path}: both properties and additionalProperties");
        }

        if (node["additionalProperties"] is JsonValue)
        {
            problems.Add($"{path}: additionalProperties must be a schema (structural schemas prune unknown fields)");
        }

        if (type == "array" && node["items"] is not JsonObject)
        {
            problems.Add($"{path}: array without items");
        }

        if (node["default"] is { } value)
        {
            var copy = node.DeepClone().AsObject();
            copy.Remove("default");
            copy.Remove("x-kubernetes-validations");
            problems.AddRange(SchemaValidator.ValidateValue(value, copy, path + " (default)"));
        }

        if ((string?)node["x-kubernetes-list-type"] == "map")
        {
            var required = node["items"]?["required"]?.AsArray().Select(r => (string?)r).ToHashSet() ?? [];
            problems.AddRange(node["x-kubernetes-list-map-keys"]!.AsArray().Select(k => (string?)k).Where(k => !required.Contains(k))
                .Select(k => $"{path}: list-map key {k} is not required in the items"));
        }

        if ((string?)node["x-kubernetes-list-type"] == "set" && (string?)node["items"]?["type"] is "object" or "array")
        {
            problems.Add($"{path}: a set holds scalars only");
        }

        foreach (var (name, child) in node["properties"]?.AsObject() ?? [])
        {
            CheckNode(child!.AsObject(), $"{path}.{name}", problems);
        }

        if (node["items"] is JsonObject items)
        {
            CheckNode(items, path + "[]", problems);
        }

        if (node["additionalProperties"] is JsonObject values)
        {
            CheckNode(values, path + ".<key>", problems);
        }
    }

    /// <summary>The schema, re-parsed so that numeric conversions behave as on any JSON read from a file.</summary>
    private static JsonObject Schema(GeneratedCrd crd) =>
        JsonNode.Parse(crd.Definition["spec"]!["versions"]![0]!["schema"]!["openAPIV3Schema"]!.ToJsonString())!.AsObject();

    private static JsonObject Property(JsonObject schema, string name) =>
        schema["properties"]?[name]?.AsObject() ?? throw new KeyNotFoundException($"no property {name}");

    private static List<JsonObject> Rules(JsonObject schema) =>
        (schema["x-kubernetes-validations"] as JsonArray)?.Select(r => r!.AsObject()).ToList() ?? [];

    private static IEnumerable<JsonObject> AllRules(JsonObject schema) =>
        Rules(schema)
            .Concat((schema["properties"] as JsonObject)?.SelectMany(p => AllRules(p.Value!.AsObject())) ?? [])
            .Concat(schema["items"] is JsonObject items ? AllRules(items) : [])
            .Concat(schema["additionalProperties"] is JsonObject values ? AllRules(values) : []);

    private static List<string?> Strings(JsonNode? array) => [.. array!.AsArray().Select(n => (string?)n)];

    private static List<string?> Columns(GeneratedCrd crd) =>
        Strings(new JsonArray([.. crd.Definition["spec"]!["versions"]![0]!["additionalPrinterColumns"]!.AsArray().Select(c => c!["name"]!.DeepClone())]));
}
