using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using Nestor.ApiServer.Http;
using Nestor.ApiServer.Json;

namespace Nestor.ApiServer.Resources;

/// <summary>Base for built-in strategies: empty hooks to override.</summary>
internal abstract class BuiltinStrategy : IResourceStrategy
{
    public virtual void PrepareForCreate(JsonObject obj, StrategyContext context)
    {
    }

    public virtual void Normalize(JsonObject obj, StrategyContext context)
    {
    }

    public virtual IEnumerable<FieldError> Validate(JsonObject obj, JsonObject? old, StrategyContext context) => [];

    protected static IEnumerable<FieldError> Immutable(JsonObject obj, JsonObject? old, params string[] path)
    {
        if (old is not null && !JsonNode.DeepEquals(JsonPaths.Get(obj, path), JsonPaths.Get(old, path)))
        {
            yield return FieldError.Invalid(string.Join('.', path), JsonPaths.Get(obj, path)?.DeepClone(), "field is immutable");
        }
    }
}

internal sealed class PodStrategy : BuiltinStrategy
{
    public override void PrepareForCreate(JsonObject obj, StrategyContext context)
    {
        var spec = JsonPaths.Ensure(obj, "spec");
        spec.TryAdd("serviceAccountName", "default");
        spec.TryAdd("serviceAccount", JsonPaths.GetString(spec, "serviceAccountName"));
        spec.TryAdd("priority", 0);
        spec.TryAdd("preemptionPolicy", "PreemptLowerPriority");
        var containers = (JsonPaths.ArrayAt(spec, "containers") ?? []).OfType<JsonObject>().ToList();
        var qos = containers.All(c => JsonPaths.ObjectAt(c, "resources") is not { Count: > 0 }) ? "BestEffort"
            : containers.All(c => JsonPaths.ObjectAt(c, "resources", "limits") is { Count: > 0 } l &&
                                  JsonNode.DeepEquals(l, JsonPaths.ObjectAt(c, "resources", "requests") ?? l)) ? "Guaranteed" : "Burstable";
        obj["status"] = new JsonObject { ["phase"] = "Pending", ["qosClass"] = qos };
    }

    public override void Normalize(JsonObject obj, StrategyContext context) => PodDefaults.ApplySpec(JsonPaths.Ensure(obj, "spec"), isPod: true);

    public override IEnumerable<FieldError> Validate(JsonObject obj, JsonObject? old, StrategyContext context)
    {
        foreach (var e in PodDefaults.ValidateSpec(JsonPaths.ObjectAt(obj, "spec"), "spec"))
        {
            yield return e;
        }

        if (old is not null && JsonPaths.GetString(old, "spec", "nodeName") is { Length: > 0 })
        {
            foreach (var e in Immutable(obj, old, "spec", "nodeName"))
            {
                yield return e;
            }
        }
    }
}

internal sealed class DeploymentStrategy : BuiltinStrategy
{
    public override void PrepareForCreate(JsonObject obj, StrategyContext context) => obj["status"] = new JsonObject();

    public override void Normalize(JsonObject obj, StrategyContext context)
    {
        var spec = JsonPaths.Ensure(obj, "spec");
        spec.TryAdd("replicas", 1);
        spec.TryAdd("revisionHistoryLimit", 10);
        spec.TryAdd("progressDeadlineSeconds", 600);
        if (JsonPaths.ObjectAt(spec, "strategy") is not { } strategy)
        {
            strategy = [];
            spec["strategy"] = strategy;
        }

        strategy.TryAdd("type", "RollingUpdate");
        if (JsonPaths.GetString(strategy, "type") == "RollingUpdate")
        {
            var rolling = JsonPaths.Ensure(strategy, "rollingUpdate");
            rolling.TryAdd("maxUnavailable", "25%");
            rolling.TryAdd("maxSurge", "25%");
        }

        PodDefaults.ApplySpec(JsonPaths.Ensure(spec, "template", "spec"), isPod: false);
    }

    public override IEnumerable<FieldError> Validate(JsonObject obj, JsonObject? old, StrategyContext context)
    {
        var selector = JsonPaths.ObjectAt(obj, "spec", "selector");
        if (selector is null || selector.Count == 0)
        {
            yield return FieldError.Required("spec.selector");
        }
        else if (!Selectors.LabelSelectorObject.Matches(selector, JsonPaths.StringMap(JsonPaths.Get(obj, "spec", "template", "metadata", "labels"))))
        {
            yield return FieldError.Invalid("spec.template.metadata.labels", JsonPaths.Get(obj, "spec", "template", "metadata", "labels")?.DeepClone(),
                "`selector` does not match template `labels`");
        }

        if (JsonPaths.GetInt64(obj, "spec", "replicas") is < 0)
        {
            yield return FieldError.Invalid("spec.replicas", JsonPaths.Get(obj, "spec", "replicas")?.DeepClone(), "must be greater than or equal to 0");
        }

        foreach (var e in PodDefaults.ValidateSpec(JsonPaths.ObjectAt(obj, "spec", "template", "spec"), "spec.template.spec"))
        {
            yield return e;
        }

        foreach (var e in Immutable(obj, old, "spec", "selector"))
        {
            yield return e;
        }
    }
}

internal sealed class JobStrategy : BuiltinStrategy
{
    public override void PrepareForCreate(JsonObject obj, StrategyContext context)
    {
        obj["status"] = new JsonObject();
        var spec = JsonPaths.Ensure(obj, "spec");
        if (JsonPaths.GetBool(spec, "manualSelector") == true)
        {
            return;
        }

        var uid = JsonPaths.GetString(obj, "metadata", "uid") ?? "";
        var name = JsonPaths.GetString(obj, "metadata", "name") ?? "";
        spec["selector"] = new JsonObject { ["matchLabels"] = new JsonObject { ["batch.kubernetes.io/controller-uid"] = uid } };
        var labels = JsonPaths.Ensure(spec, "template", "metadata", "labels");
        labels["batch.kubernetes.io/controller-uid"] = uid;
        labels["batch.kubernetes.io/job-name"] = name;
        labels["controller-uid"] = uid;
        labels["job-name"] = name;
    }

    public override void Normalize(JsonObject obj, StrategyContext context)
    {
        var spec = JsonPaths.Ensure(obj, "spec");
        if (!spec.ContainsKey("completions") && !spec.ContainsKey("parallelism"))
        {
            spec["completions"] = 1;
        }

        spec.TryAdd("parallelism", 1);
        spec.TryAdd("backoffLimit", 6);
        spec.TryAdd("completionMode", "NonIndexed");
        spec.TryAdd("suspend", false);
        spec.TryAdd("podReplacementPolicy", "TerminatingOrFailed");
        var template = JsonPaths.Ensure(spec, "template", "spec");
        var hadPolicy = template.ContainsKey("restartPolicy");
        PodDefaults.ApplySpec(template, isPod: false);
        if (!hadPolicy)
        {
            template.Remove("restartPolicy");
        }
    }

    public override IEnumerable<FieldError> Validate(JsonObject obj, JsonObject? old, StrategyContext context)
    {
        var policy = JsonPaths.GetString(obj, "spec", "template", "spec", "restartPolicy");
        if (policy is not ("Never" or "OnFailure"))
        {
            yield return policy is null
                ? FieldError.Required("spec.template.spec.restartPolicy", "valid values: \"OnFailure\", \"Never\"")
                : FieldError.NotSupported("spec.template.spec.restartPolicy", JsonValue.Create(policy), ["\"OnFailure\"", "\"Never\""]);
        }

        foreach (var e in PodDefaults.ValidateSpec(JsonPaths.ObjectAt(obj, "spec", "template", "spec"), "spec.template.spec"))
        {
            yield return e;
        }

        foreach (var e in Immutable(obj, old, "spec", "selector").Concat(Immutable(obj, old, "spec", "template")).Concat(Immutable(obj, old, "spec", "completions")))
        {
            yield return e;
        }
    }
}

internal sealed class ServiceStrategy : BuiltinStrategy
{
    public override void PrepareForCreate(JsonObject obj, StrategyContext context)
    {
        obj["status"] = new JsonObject { ["loadBalancer"] = new JsonObject() };
        var spec = JsonPaths.Ensure(obj, "spec");
        var type = JsonPaths.GetString(spec, "type") ?? "ClusterIP";
        var used = (context.ListOthers?.Invoke("services") ?? []).ToList();
        if (type != "ExternalName" && JsonPaths.GetString(spec, "clusterIP") is null or "")
        {
            var taken = used.Select(s => JsonPaths.GetString(s, "spec", "clusterIP")).ToHashSet(StringComparer.Ordinal);
            string ip;
            do
            {
                ip = string.Create(CultureInfo.InvariantCulture, $"{context.ServiceIpPrefix}.{Random.Shared.Next(0, 256)}.{Random.Shared.Next(1, 255)}");
            }
            while (taken.Contains(ip));
            spec["clusterIP"] = ip;
            spec["clusterIPs"] = new JsonArray(ip);
        }
        else if (JsonPaths.GetString(spec, "clusterIP") is { } given && !spec.ContainsKey("clusterIPs"))
        {
            spec["clusterIPs"] = new JsonArray(given);
        }

        if (type is "NodePort" or "LoadBalancer")
        {
            var takenPorts = used.SelectMany(s => (JsonPaths.ArrayAt(s, "spec", "ports") ?? []).Select(p => JsonPaths.GetInt64(p, "nodePort"))).ToHashSet();
            foreach (var port in (JsonPaths.ArrayAt(spec, "ports") ?? []).OfType<JsonObject>().Where(p => !p.ContainsKey("nodePort")))
            {
                long candidate;
                do
                {
                    candidate = Random.Shared.Next(30000, 32768);
                }
                while (!takenPorts.Add(candidate));
                port["nodePort"] = candidate;
            }
        }
    }

    public override void Normalize(JsonObject obj, StrategyContext context)
    {
        var spec = JsonPaths.Ensure(obj, "spec");
        spec.TryAdd("type", "ClusterIP");
        if (JsonPaths.GetString(spec, "type") == "ExternalName")
        {
            return;
        }

        spec.TryAdd("sessionAffinity", "None");
        spec.TryAdd("ipFamilies", new JsonArray("IPv4"));
        spec.TryAdd("ipFamilyPolicy", "SingleStack");
        spec.TryAdd("internalTrafficPolicy", "Cluster");
        foreach (var port in (JsonPaths.ArrayAt(spec, "ports") ?? []).OfType<JsonObject>())
        {
            port.TryAdd("protocol", "TCP");
            if (!port.ContainsKey("targetPort") && port["port"] is { } p)
            {
                port["targetPort"] = p.DeepClone();
            }
        }
    }

    public override IEnumerable<FieldError> Validate(JsonObject obj, JsonObject? old, StrategyContext context)
    {
        var type = JsonPaths.GetString(obj, "spec", "type");
        var ports = JsonPaths.ArrayAt(obj, "spec", "ports");
        if (type != "ExternalName" && JsonPaths.GetString(obj, "spec", "clusterIP") != "None" && (ports is null || ports.Count == 0))
        {
            yield return FieldError.Required("spec.ports");
        }

        for (var i = 0; i < (ports?.Count ?? 0); i++)
        {
            if (JsonPaths.GetInt64(ports![i], "port") is not (>= 1 and <= 65535))
            {
                yield return FieldError.Invalid(FieldError.FormatIndex("spec.ports", i) + ".port", JsonPaths.Get(ports[i], "port")?.DeepClone(), "must be between 1 and 65535, inclusive");
            }
        }

        if (old is not null && JsonPaths.GetString(old, "spec", "clusterIP") is { Length: > 0 })
        {
            foreach (var e in Immutable(obj, old, "spec", "clusterIP"))
            {
                yield return e;
            }
        }
    }
}

internal sealed class SecretStrategy : BuiltinStrategy
{
    public override void Normalize(JsonObject obj, StrategyContext context)
    {
        obj.TryAdd("type", "Opaque");
        if (obj["stringData"] is JsonObject stringData)
        {
            var data = JsonPaths.Ensure(obj, "data");
            foreach (var (key, value) in stringData)
            {
                data[key] = Convert.ToBase64String(Encoding.UTF8.GetBytes((string?)value ?? ""));
            }

            obj.Remove("stringData");
        }
    }

    public override IEnumerable<FieldError> Validate(JsonObject obj, JsonObject? old, StrategyContext context)
    {
        foreach (var (key, value) in JsonPaths.ObjectAt(obj, "data") ?? [])
        {
            var text = (value as JsonValue)?.TryGetValue<string>(out var s) == true ? s : null;
            if (text is null || !Convert.TryFromBase64String(text, new byte[text.Length], out _))
            {
                yield return FieldError.Invalid($"data[{key}]", value?.DeepClone(), "illegal base64 data");
            }
        }

        foreach (var e in Immutable(obj, old, "type"))
        {
            yield return e;
        }
    }
}

internal sealed class NamespaceStrategy : BuiltinStrategy
{
    public override void PrepareForCreate(JsonObject obj, StrategyContext context)
    {
        obj["status"] = new JsonObject { ["phase"] = "Active" };
        JsonPaths.Ensure(obj, "spec")["finalizers"] = new JsonArray("kubernetes");
    }

    public override void Normalize(JsonObject obj, StrategyContext context) =>
        JsonPaths.Ensure(obj, "metadata", "labels")["kubernetes.io/metadata.name"] = JsonPaths.GetString(obj, "metadata", "name");
}

internal sealed class PersistentVolumeClaimStrategy : BuiltinStrategy
{
    public override void PrepareForCreate(JsonObject obj, StrategyContext context) => obj["status"] = new JsonObject { ["phase"] = "Pending" };

    public override void Normalize(JsonObject obj, StrategyContext context) => JsonPaths.Ensure(obj, "spec").TryAdd("volumeMode", "Filesystem");

    public override IEnumerable<FieldError> Validate(JsonObject obj, JsonObject? old, StrategyContext context)
    {
        if (JsonPaths.ArrayAt(obj, "spec", "accessModes") is not { Count: > 0 })
        {
            yield return FieldError.Required("spec.accessModes");
        }

        if (JsonPaths.GetString(obj, "spec", "resources", "requests", "storage") is null)
        {
            yield return FieldError.Required("spec.resources[storage]");
        }
    }
}

/// <summary>Resources with a status subresource but nothing else special: create starts with no status.</summary>
internal sealed class StatusResetStrategy : BuiltinStrategy
{
    public static readonly StatusResetStrategy Instance = new();

    public override void PrepareForCreate(JsonObject obj, StrategyContext context) => obj.Remove("status");
}
