using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Nestor.ApiServer.Resources;

namespace Nestor.ApiServer.Discovery;

/// <summary>
/// OpenAPI v3 as far as kubectl uses it: the root index (/openapi/v3) and, per group version, one path per
/// resource whose PATCH operation carries x-kubernetes-group-version-kind, the fieldValidation query
/// parameter (so kubectl validates on the server) and the accepted patch media types. Strategic merge patch
/// is deliberately not advertised, so kubectl apply computes it from its compiled-in types for built-ins and
/// uses JSON merge patch for custom resources, exactly as against a server without schemas for them.
/// Component schemas are not served (kubectl explain does not work). /openapi/v2 is a valid document with
/// no paths or definitions: kubectl then skips client-side schema validation for kinds it cannot verify
/// (custom resources whose CRD is created in the same apply) and the server validates them instead.
/// </summary>
internal static class OpenApiDocuments
{
    public const string V2ProtobufContentType = "application/com.github.proto-openapi.spec.v2.v1.0+protobuf";

    /// <summary>The gnostic openapi_v2.Document protobuf with only swagger = "2.0" (field 1).</summary>
    public static readonly byte[] V2Protobuf = [0x0A, 0x03, (byte)'2', (byte)'.', (byte)'0'];

    public static JsonObject V2Json() => new()
    {
        ["swagger"] = "2.0",
        ["info"] = new JsonObject { ["title"] = "Kubernetes", ["version"] = "v1.32.0" },
        ["paths"] = new JsonObject(),
        ["definitions"] = new JsonObject(),
    };

    public static JsonObject Index(ResourceCatalog catalog)
    {
        var paths = new JsonObject();
        foreach (var (group, versions) in catalog.Groups())
        {
            foreach (var version in versions)
            {
                var key = group.Length == 0 ? $"api/{version}" : $"apis/{group}/{version}";
                paths[key] = new JsonObject { ["serverRelativeURL"] = $"/openapi/v3/{key}?hash={Hash(catalog, group, version)}" };
            }
        }

        return new JsonObject { ["paths"] = paths };
    }

    private static string Hash(ResourceCatalog catalog, string group, string version)
    {
        var text = string.Join(';', catalog.All.Where(d => d.Group == group && d.Version == version).Select(d => $"{d.Plural}:{d.Kind}:{d.Namespaced}"));
        return Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(text)))[..32];
    }

    public static JsonObject? GroupVersion(ResourceCatalog catalog, string group, string version)
    {
        var defs = catalog.All.Where(d => d.Group == group && d.Version == version).ToList();
        if (defs.Count == 0)
        {
            return null;
        }

        var paths = new JsonObject();
        foreach (var def in defs)
        {
            var prefix = group.Length == 0 ? $"/api/{version}" : $"/apis/{group}/{version}";
            var path = def.Namespaced ? $"{prefix}/namespaces/{{namespace}}/{def.Plural}/{{name}}" : $"{prefix}/{def.Plural}/{{name}}";
            paths[path] = new JsonObject
            {
                ["get"] = Operation(def, "get", false),
                ["put"] = Operation(def, "put", true),
                ["patch"] = Patch(def),
                ["delete"] = Operation(def, "delete", false),
            };
        }

        return new JsonObject
        {
            ["openapi"] = "3.0.0",
            ["info"] = new JsonObject { ["title"] = "Kubernetes", ["version"] = "v1.32.0" },
            ["paths"] = paths,
            ["components"] = new JsonObject { ["schemas"] = new JsonObject() },
        };
    }

    private static JsonObject Gvk(ResourceDefinition def) => new() { ["group"] = def.Group, ["version"] = def.Version, ["kind"] = def.Kind };

    private static JsonObject Operation(ResourceDefinition def, string action, bool withFieldValidation)
    {
        var parameters = new JsonArray(Query("dryRun"), Query("fieldManager"));
        if (withFieldValidation)
        {
            parameters.Add(Query("fieldValidation"));
        }

        return new JsonObject
        {
            ["operationId"] = $"{action}{def.Kind}",
            ["parameters"] = parameters,
            ["responses"] = new JsonObject { ["200"] = new JsonObject { ["description"] = "OK" } },
            ["x-kubernetes-action"] = action,
            ["x-kubernetes-group-version-kind"] = Gvk(def),
        };
    }

    private static JsonObject Patch(ResourceDefinition def)
    {
        var patch = Operation(def, "patch", true);
        patch["parameters"]!.AsArray().Add(Query("force"));
        var content = new JsonObject();
        foreach (var mediaType in new[] { "application/apply-patch+yaml", "application/json-patch+json", "application/merge-patch+json" })
        {
            content[mediaType] = new JsonObject { ["schema"] = new JsonObject { ["type"] = "object" } };
        }

        patch["requestBody"] = new JsonObject { ["content"] = content, ["required"] = true };
        return patch;
    }

    private static JsonObject Query(string name) => new()
    {
        ["name"] = name,
        ["in"] = "query",
        ["schema"] = new JsonObject { ["type"] = "string", ["uniqueItems"] = true },
    };
}
