using System.Text.Json.Nodes;
using Nestor.ApiServer.Http;
using Nestor.ApiServer.Json;

namespace Nestor.ApiServer.Resources;

/// <summary>The defaults and checks kube-apiserver applies to a PodSpec (pods and the templates of Deployments and Jobs).</summary>
internal static class PodDefaults
{
    public static void ApplySpec(JsonObject spec, bool isPod)
    {
        spec.TryAdd("restartPolicy", "Always");
        spec.TryAdd("terminationGracePeriodSeconds", 30);
        spec.TryAdd("dnsPolicy", "ClusterFirst");
        spec.TryAdd("securityContext", new JsonObject());
        spec.TryAdd("schedulerName", "default-scheduler");
        if (isPod)
        {
            spec.TryAdd("enableServiceLinks", true);
        }

        foreach (var list in new[] { "initContainers", "containers" })
        {
            foreach (var container in (JsonPaths.ArrayAt(spec, list) ?? []).OfType<JsonObject>())
            {
                ApplyContainer(container);
            }
        }
    }

    private static void ApplyContainer(JsonObject container)
    {
        container.TryAdd("terminationMessagePath", "/dev/termination-log");
        container.TryAdd("terminationMessagePolicy", "File");
        if (!container.ContainsKey("imagePullPolicy"))
        {
            var image = JsonPaths.GetString(container, "image") ?? "";
            var lastPart = image[(image.LastIndexOf('/') + 1)..];
            var tagged = lastPart.Contains(':', StringComparison.Ordinal) && !lastPart.EndsWith(":latest", StringComparison.Ordinal);
            container["imagePullPolicy"] = tagged || image.Contains('@', StringComparison.Ordinal) ? "IfNotPresent" : "Always";
        }

        container.TryAdd("resources", new JsonObject());
        foreach (var port in (JsonPaths.ArrayAt(container, "ports") ?? []).OfType<JsonObject>())
        {
            port.TryAdd("protocol", "TCP");
        }

        foreach (var probe in new[] { "livenessProbe", "readinessProbe", "startupProbe" })
        {
            if (container[probe] is JsonObject p)
            {
                p.TryAdd("timeoutSeconds", 1);
                p.TryAdd("periodSeconds", 10);
                p.TryAdd("successThreshold", 1);
                p.TryAdd("failureThreshold", 3);
                if (p["httpGet"] is JsonObject httpGet)
                {
                    httpGet.TryAdd("scheme", "HTTP");
                    httpGet.TryAdd("path", "/");
                }
            }
        }

        foreach (var env in (JsonPaths.ArrayAt(container, "env") ?? []).OfType<JsonObject>())
        {
            if (JsonPaths.ObjectAt(env, "valueFrom", "fieldRef") is { } fieldRef)
            {
                fieldRef.TryAdd("apiVersion", "v1");
            }
        }
    }

    public static IEnumerable<FieldError> ValidateSpec(JsonObject? spec, string path)
    {
        if (spec is null)
        {
            yield return FieldError.Required(path);
            yield break;
        }

        var containers = JsonPaths.ArrayAt(spec, "containers");
        if (containers is null || containers.Count == 0)
        {
            yield return FieldError.Required($"{path}.containers");
            yield break;
        }

        var names = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < containers.Count; i++)
        {
            var container = containers[i] as JsonObject;
            var at = FieldError.FormatIndex($"{path}.containers", i);
            var name = JsonPaths.GetString(container, "name");
            if (string.IsNullOrEmpty(name))
            {
                yield return FieldError.Required($"{at}.name");
            }
            else if (!names.Add(name))
            {
                yield return FieldError.Duplicate($"{at}.name", JsonValue.Create(name));
            }
            else if (!Names.IsDnsLabel(name))
            {
                yield return FieldError.Invalid($"{at}.name", JsonValue.Create(name), Names.DnsLabelMessage);
            }

            if (string.IsNullOrEmpty(JsonPaths.GetString(container, "image")))
            {
                yield return FieldError.Required($"{at}.image");
            }
        }
    }
}
