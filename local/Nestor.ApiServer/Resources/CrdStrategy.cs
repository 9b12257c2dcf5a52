using System.Text.Json.Nodes;
using Nestor.ApiServer.Http;
using Nestor.ApiServer.Json;
using Nestor.ApiServer.Tables;
using Nestor.ApiServer.Validation;

namespace Nestor.ApiServer.Resources;

/// <summary>
/// CustomResourceDefinition (apiextensions.k8s.io/v1): defaults, validation (names, scope, versions,
/// schemas, CEL rules that compile) and the resource definitions it serves once established.
/// </summary>
internal sealed class CrdStrategy : IResourceStrategy
{
    public const string CleanupFinalizer = "customresourcecleanup.apiextensions.k8s.io";

    public void PrepareForCreate(JsonObject obj, StrategyContext context)
    {
        obj.Remove("status");
        var finalizers = JsonPaths.ArrayAt(obj, "metadata", "finalizers");
        if (finalizers is null)
        {
            finalizers = [];
            JsonPaths.Metadata(obj)["finalizers"] = finalizers;
        }

        if (!JsonPaths.Strings(finalizers).Contains(CleanupFinalizer))
        {
            finalizers.Add(CleanupFinalizer);
        }
    }

    public void Normalize(JsonObject obj, StrategyContext context)
    {
        var spec = JsonPaths.Ensure(obj, "spec");
        var names = JsonPaths.Ensure(spec, "names");
        var kind = JsonPaths.GetString(names, "kind") ?? "";
        names.TryAdd("singular", kind.ToLowerInvariant());
        names.TryAdd("listKind", kind + "List");
        JsonPaths.Ensure(spec, "conversion").TryAdd("strategy", "None");
    }

    public IEnumerable<FieldError> Validate(JsonObject obj, JsonObject? old, StrategyContext context)
    {
        var errors = new List<FieldError>();
        var group = JsonPaths.GetString(obj, "spec", "group") ?? "";
        var plural = JsonPaths.GetString(obj, "spec", "names", "plural") ?? "";
        var name = JsonPaths.GetString(obj, "metadata", "name") ?? "";
        if (group.Length == 0)
        {
            errors.Add(FieldError.Required("spec.group"));
        }
        else if (!group.Contains('.', StringComparison.Ordinal))
        {
            errors.Add(FieldError.Invalid("spec.group", JsonValue.Create(group), "should be a domain with at least one dot"));
        }

        if (plural.Length == 0)
        {
            errors.Add(FieldError.Required("spec.names.plural"));
        }

        if (JsonPaths.GetString(obj, "spec", "names", "kind") is null or "")
        {
            errors.Add(FieldError.Required("spec.names.kind"));
        }

        if (name != $"{plural}.{group}")
        {
            errors.Add(FieldError.Invalid("metadata.name", JsonValue.Create(name), "must be spec.names.plural+\".\"+spec.group"));
        }

        if (JsonPaths.GetString(obj, "spec", "scope") is not ("Namespaced" or "Cluster"))
        {
            errors.Add(FieldError.NotSupported("spec.scope", JsonPaths.Get(obj, "spec", "scope")?.DeepClone(), ["\"Cluster\"", "\"Namespaced\""]));
        }

        var versions = JsonPaths.ArrayAt(obj, "spec", "versions");
        if (versions is null || versions.Count == 0)
        {
            errors.Add(FieldError.Invalid("spec.versions", null, "must have exactly one version marked as storage version"));
            return errors;
        }

        if (versions.Count(v => JsonPaths.GetBool(v, "storage") == true) != 1)
        {
            errors.Add(FieldError.Invalid("spec.versions", null, "must have exactly one version marked as storage version"));
        }

        for (var i = 0; i < versions.Count; i++)
        {
            var at = FieldError.FormatIndex("spec.versions", i);
            if (JsonPaths.GetString(versions[i], "name") is null or "")
            {
                errors.Add(FieldError.Required($"{at}.name"));
            }

            var schemaJson = JsonPaths.ObjectAt(versions[i], "schema", "openAPIV3Schema");
            if (schemaJson is null)
            {
                errors.Add(FieldError.Required($"{at}.schema.openAPIV3Schema", "schemas are required"));
                continue;
            }

            if (JsonPaths.GetString(schemaJson, "type") != "object")
            {
                errors.Add(FieldError.Invalid($"{at}.schema.openAPIV3Schema.type", schemaJson["type"]?.DeepClone(), "must be object at the root"));
            }

            var problems = new List<string>();
            Schema.Parse(schemaJson, $"{at}.schema.openAPIV3Schema", problems);
            errors.AddRange(problems.Select(p => FieldError.Invalid(p.Split(": ")[0], null, p[(p.IndexOf(": ", StringComparison.Ordinal) + 2)..])));
            foreach (var column in (JsonPaths.ArrayAt(versions[i], "additionalPrinterColumns") ?? []).OfType<JsonObject>())
            {
                try
                {
                    JsonPathExpression.Parse(JsonPaths.GetString(column, "jsonPath") ?? "");
                }
                catch (FormatException e)
                {
                    errors.Add(FieldError.Invalid($"{at}.additionalPrinterColumns.jsonPath", column["jsonPath"]?.DeepClone(), e.Message));
                }
            }
        }

        if (old is not null)
        {
            foreach (var path in new[] { "group", "scope" })
            {
                if (!JsonNode.DeepEquals(JsonPaths.Get(old, "spec", path), JsonPaths.Get(obj, "spec", path)))
                {
                    errors.Add(FieldError.Invalid($"spec.{path}", JsonPaths.Get(obj, "spec", path)?.DeepClone(), "field is immutable"));
                }
            }
        }

        return errors;
    }

    /// <summary>The status of an established CRD: names accepted, established, stored versions.</summary>
    public static JsonObject EstablishedStatus(JsonObject crd, DateTimeOffset now, JsonObject? previousStatus)
    {
        var names = JsonPaths.ObjectAt(crd, "spec", "names")?.DeepClone() ?? new JsonObject();
        var storage = (JsonPaths.ArrayAt(crd, "spec", "versions") ?? []).FirstOrDefault(v => JsonPaths.GetBool(v, "storage") == true);
        var stored = new HashSet<string>(JsonPaths.Strings(JsonPaths.Get(previousStatus, "storedVersions")), StringComparer.Ordinal);
        var storedList = new JsonArray(JsonPaths.Strings(JsonPaths.Get(previousStatus, "storedVersions")).Select(v => (JsonNode?)v).ToArray());
        if (JsonPaths.GetString(storage, "name") is { } storageName && stored.Add(storageName))
        {
            storedList.Add(storageName);
        }

        JsonObject Condition(string type, string reason, string message)
        {
            var previous = (JsonPaths.ArrayAt(previousStatus, "conditions") ?? []).FirstOrDefault(c => JsonPaths.GetString(c, "type") == type);
            return new JsonObject
            {
                ["type"] = type,
                ["status"] = "True",
                ["lastTransitionTime"] = JsonPaths.GetString(previous, "status") == "True" ? JsonPaths.GetString(previous, "lastTransitionTime") : JsonPaths.Timestamp(now),
                ["reason"] = reason,
                ["message"] = message,
            };
        }

        return new JsonObject
        {
            ["conditions"] = new JsonArray(
                Condition("NamesAccepted", "NoConflicts", "no conflicts found"),
                Condition("Established", "InitialNamesAccepted", "the initial names have been accepted")),
            ["acceptedNames"] = names,
            ["storedVersions"] = storedList,
        };
    }

    /// <summary>The resource definitions an established CRD serves, one per served version.</summary>
    public static IEnumerable<ResourceDefinition> Definitions(JsonObject crd)
    {
        var group = JsonPaths.GetString(crd, "spec", "group") ?? "";
        var names = JsonPaths.ObjectAt(crd, "spec", "names");
        var kind = JsonPaths.GetString(names, "kind") ?? "";
        foreach (var version in (JsonPaths.ArrayAt(crd, "spec", "versions") ?? []).OfType<JsonObject>())
        {
            if (JsonPaths.GetBool(version, "served") == false)
            {
                continue;
            }

            var schema = Schema.Parse(JsonPaths.ObjectAt(version, "schema", "openAPIV3Schema") ?? [], "openAPIV3Schema", []);
            var typeNode = schema.ToTypeNode();
            typeNode.Fields ??= [];
            typeNode.Fields["metadata"] = BuiltinTypes.ObjectMeta;
            var hasStatus = JsonPaths.ObjectAt(version, "subresources", "status") is not null;
            var scale = JsonPaths.ObjectAt(version, "subresources", "scale");
            yield return new ResourceDefinition
            {
                Group = group,
                Version = JsonPaths.GetString(version, "name") ?? "",
                Plural = JsonPaths.GetString(names, "plural") ?? "",
                Singular = JsonPaths.GetString(names, "singular") ?? kind.ToLowerInvariant(),
                Kind = kind,
                Namespaced = JsonPaths.GetString(crd, "spec", "scope") == "Namespaced",
                ShortNames = JsonPaths.Strings(names?["shortNames"]).ToList(),
                Categories = JsonPaths.Strings(names?["categories"]).ToList(),
                HasStatus = hasStatus,
                Scale = scale is null ? null : new ScaleSpec(
                    JsonPaths.GetString(scale, "specReplicasPath") ?? ".spec.replicas",
                    JsonPaths.GetString(scale, "statusReplicasPath") ?? ".status.replicas",
                    JsonPaths.GetString(scale, "labelSelectorPath")),
                TracksGeneration = true,
                AllowUnconditionalUpdate = false,
                SelectableFields = (JsonPaths.ArrayAt(version, "selectableFields") ?? []).Select(f => (JsonPaths.GetString(f, "jsonPath") ?? "").TrimStart('.')).ToList(),
                Strategy = new CustomResourceStrategy(schema, hasStatus),
                TypeSchema = typeNode,
                Table = new CustomResourceTable(JsonPaths.ArrayAt(version, "additionalPrinterColumns")),
                CrdName = JsonPaths.GetString(crd, "metadata", "name"),
            };
        }
    }
}
