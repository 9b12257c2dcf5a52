using System.Text.Json;
using System.Text.Json.Nodes;
using k8s;
using k8s.Models;
using Nestor.Api;
using Nestor.Api.V1Alpha1;

namespace Nestor.Charts.Tests.Support;

/// <summary>
/// Reads a rendered object into its KubernetesClient type and reports every field the type does not
/// know. KubernetesClient ignores unknown JSON properties, so the check serialises the typed object
/// again and looks for each key of the original (a misspelt or misplaced field vanishes there).
/// </summary>
public static class StrictTypes
{
    private static readonly Dictionary<(string ApiVersion, string Kind), Type> Types = new()
    {
        [("v1", "ServiceAccount")] = typeof(V1ServiceAccount),
        [("v1", "Service")] = typeof(V1Service),
        [("v1", "ConfigMap")] = typeof(V1ConfigMap),
        [("apps/v1", "Deployment")] = typeof(V1Deployment),
        [("policy/v1", "PodDisruptionBudget")] = typeof(V1PodDisruptionBudget),
        [("rbac.authorization.k8s.io/v1", "ClusterRole")] = typeof(V1ClusterRole),
        [("rbac.authorization.k8s.io/v1", "ClusterRoleBinding")] = typeof(V1ClusterRoleBinding),
        [("rbac.authorization.k8s.io/v1", "Role")] = typeof(V1Role),
        [("rbac.authorization.k8s.io/v1", "RoleBinding")] = typeof(V1RoleBinding),
        [("apiextensions.k8s.io/v1", "CustomResourceDefinition")] = typeof(V1CustomResourceDefinition),
        // KubernetesClient has no Prometheus Operator types: ServiceMonitorModel declares the fields of
        // monitoring.coreos.com/v1 the chart may use, so a field outside them is still reported.
        [("monitoring.coreos.com/v1", "ServiceMonitor")] = typeof(ServiceMonitorModel),
        [("monitoring.coreos.com/v1", "PrometheusRule")] = typeof(PrometheusRuleModel),
        [(NestorApi.GroupVersion, ElasticModel.KubeKind)] = typeof(ElasticModel),
        [(NestorApi.GroupVersion, BudgetTier.KubeKind)] = typeof(BudgetTier),
        [(NestorApi.GroupVersion, CompressionRun.KubeKind)] = typeof(CompressionRun),
    };

    public static Type TypeOf(JsonObject obj)
    {
        var key = ((string?)obj["apiVersion"] ?? "", (string?)obj["kind"] ?? "");
        return Types.TryGetValue(key, out var type) ? type : throw new KeyNotFoundException($"no type for {key.Item1} {key.Item2}");
    }

    /// <summary>The JSON paths of the original that the typed round trip lost (empty: every field is known).</summary>
    public static IReadOnlyList<string> UnknownFields(JsonObject obj, out object typed)
    {
        var type = TypeOf(obj);
        var json = obj.ToJsonString();
        typed = Deserialize(json, type);
        var again = JsonNode.Parse(KubernetesJson.Serialize(typed))!;
        var missing = new List<string>();
        Compare(obj, again, "", missing);
        return missing;
    }

    private static object Deserialize(string json, Type type)
    {
        // KubernetesJson.Deserialize<T> only has generic forms; call the (string, options) one for the runtime type.
        var method = typeof(KubernetesJson).GetMethods()
            .Single(m => m.Name == nameof(KubernetesJson.Deserialize) && m.IsGenericMethod
                && m.GetParameters().FirstOrDefault()?.ParameterType == typeof(string));
        var arguments = method.GetParameters().Select((p, i) => i == 0 ? json : p.DefaultValue).ToArray();
        try
        {
            return method.MakeGenericMethod(type).Invoke(null, arguments) ?? throw new JsonException("deserialised to null");
        }
        catch (System.Reflection.TargetInvocationException e) when (e.InnerException is not null)
        {
            throw e.InnerException;
        }
    }

    private static void Compare(JsonNode? original, JsonNode? again, string path, List<string> missing)
    {
        switch (original)
        {
            case JsonObject o:
                if (again is not JsonObject a)
                {
                    missing.Add(path.Length == 0 ? "(root)" : path);
                    return;
                }

                foreach (var (key, value) in o)
                {
                    if (value is null)
                    {
                        continue;
                    }

                    var child = path.Length == 0 ? key : $"{path}.{key}";
                    if (!a.TryGetPropertyValue(key, out var other) || other is null)
                    {
                        missing.Add(child);
                        continue;
                    }

                    Compare(value, other, child, missing);
                }

                break;
            case JsonArray array:
                if (again is not JsonArray b || b.Count != array.Count)
                {
                    missing.Add(path);
                    return;
                }

                for (var i = 0; i < array.Count; i++)
                {
                    Compare(array[i], b[i], $"{path}[{i}]", missing);
                }

                break;
        }
    }
}
