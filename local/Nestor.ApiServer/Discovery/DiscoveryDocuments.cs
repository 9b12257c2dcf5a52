using System.Text.Json.Nodes;
using Nestor.ApiServer.Resources;

namespace Nestor.ApiServer.Discovery;

/// <summary>
/// Discovery documents: legacy (/api, /apis, /apis/{group}, resource lists per group version) and aggregated
/// (apidiscovery.k8s.io/v2 APIGroupDiscoveryList, which kubectl 1.32 asks for first).
/// </summary>
internal static class DiscoveryDocuments
{
    public const string AggregatedContentType = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList";
    public const string AggregatedBetaContentType = "application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList";

    private static readonly string[] SubresourceVerbs = ["get", "patch", "update"];

    public static JsonObject Version() => new()
    {
        ["major"] = "1",
        ["minor"] = "32",
        ["gitVersion"] = "v1.32.0-nestor",
        ["gitCommit"] = "0000000000000000000000000000000000000000",
        ["gitTreeState"] = "clean",
        ["buildDate"] = "2026-01-01T00:00:00Z",
        ["goVersion"] = "go1.23.0",
        ["compiler"] = "gc",
        ["platform"] = "linux/amd64",
    };

    public static JsonObject ApiVersions(string serverAddress) => new()
    {
        ["kind"] = "APIVersions",
        ["versions"] = new JsonArray("v1"),
        ["serverAddressByClientCIDRs"] = new JsonArray(new JsonObject { ["clientCIDR"] = "0.0.0.0/0", ["serverAddress"] = serverAddress }),
    };

    private static JsonObject GroupJson(string group, IReadOnlyList<string> versions) => new()
    {
        ["name"] = group,
        ["versions"] = new JsonArray(versions.Select(v => (JsonNode)new JsonObject { ["groupVersion"] = $"{group}/{v}", ["version"] = v }).ToArray()),
        ["preferredVersion"] = new JsonObject { ["groupVersion"] = $"{group}/{versions[0]}", ["version"] = versions[0] },
    };

    public static JsonObject GroupList(ResourceCatalog catalog) => new()
    {
        ["kind"] = "APIGroupList",
        ["apiVersion"] = "v1",
        ["groups"] = new JsonArray(catalog.Groups().Where(g => g.Group.Length > 0).Select(g => (JsonNode)GroupJson(g.Group, g.Versions)).ToArray()),
    };

    public static JsonObject? Group(ResourceCatalog catalog, string group)
    {
        var found = catalog.Groups().FirstOrDefault(g => g.Group == group);
        if (found.Versions is null)
        {
            return null;
        }

        var json = GroupJson(group, found.Versions);
        json["kind"] = "APIGroup";
        json["apiVersion"] = "v1";
        return json;
    }

    public static JsonObject? ResourceList(ResourceCatalog catalog, string group, string version)
    {
        var defs = catalog.All.Where(d => d.Group == group && d.Version == version).ToList();
        if (defs.Count == 0)
        {
            return null;
        }

        var resources = new JsonArray();
        foreach (var def in defs)
        {
            var resource = new JsonObject
            {
                ["name"] = def.Plural,
                ["singularName"] = def.Singular,
                ["namespaced"] = def.Namespaced,
                ["kind"] = def.Kind,
                ["verbs"] = Strings(def.Verbs),
            };
            if (def.ShortNames.Count > 0)
            {
                resource["shortNames"] = Strings(def.ShortNames);
            }

            if (def.Categories.Count > 0)
            {
                resource["categories"] = Strings(def.Categories);
            }

            resources.Add(resource);
            if (def.HasStatus)
            {
                resources.Add(new JsonObject { ["name"] = def.Plural + "/status", ["singularName"] = "", ["namespaced"] = def.Namespaced, ["kind"] = def.Kind, ["verbs"] = Strings(SubresourceVerbs) });
            }

            if (def.Scale is not null)
            {
                resources.Add(new JsonObject
                {
                    ["name"] = def.Plural + "/scale",
                    ["singularName"] = "",
                    ["namespaced"] = def.Namespaced,
                    ["group"] = "autoscaling",
                    ["version"] = "v1",
                    ["kind"] = "Scale",
                    ["verbs"] = Strings(SubresourceVerbs),
                });
            }
        }

        return new JsonObject
        {
            ["kind"] = "APIResourceList",
            ["apiVersion"] = "v1",
            ["groupVersion"] = group.Length == 0 ? version : $"{group}/{version}",
            ["resources"] = resources,
        };
    }

    /// <summary>Aggregated discovery for /api (core only) or /apis (every named group).</summary>
    public static JsonObject Aggregated(ResourceCatalog catalog, bool core, string apiVersion)
    {
        var items = new JsonArray();
        foreach (var (group, versions) in catalog.Groups().Where(g => core == (g.Group.Length == 0)))
        {
            var versionItems = new JsonArray();
            foreach (var version in versions)
            {
                var resources = new JsonArray();
                foreach (var def in catalog.All.Where(d => d.Group == group && d.Version == version))
                {
                    var resource = new JsonObject
                    {
                        ["resource"] = def.Plural,
                        ["responseKind"] = new JsonObject { ["group"] = def.Group, ["version"] = def.Version, ["kind"] = def.Kind },
                        ["scope"] = def.Namespaced ? "Namespaced" : "Cluster",
                        ["singularResource"] = def.Singular,
                        ["verbs"] = Strings(def.Verbs),
                    };
                    if (def.ShortNames.Count > 0)
                    {
                        resource["shortNames"] = Strings(def.ShortNames);
                    }

                    if (def.Categories.Count > 0)
                    {
                        resource["categories"] = Strings(def.Categories);
                    }

                    var subresources = new JsonArray();
                    if (def.HasStatus)
                    {
                        subresources.Add(new JsonObject
                        {
                            ["subresource"] = "status",
                            ["responseKind"] = new JsonObject { ["group"] = def.Group, ["version"] = def.Version, ["kind"] = def.Kind },
                            ["verbs"] = Strings(SubresourceVerbs),
                        });
                    }

                    if (def.Scale is not null)
                    {
                        subresources.Add(new JsonObject
                        {
                            ["subresource"] = "scale",
                            ["responseKind"] = new JsonObject { ["group"] = "autoscaling", ["version"] = "v1", ["kind"] = "Scale" },
                            ["verbs"] = Strings(SubresourceVerbs),
                        });
                    }

                    if (subresources.Count > 0)
                    {
                        resource["subresources"] = subresources;
                    }

                    resources.Add(resource);
                }

                versionItems.Add(new JsonObject { ["version"] = version, ["resources"] = resources, ["freshness"] = "Current" });
            }

            var metadata = new JsonObject { ["creationTimestamp"] = null };
            if (!core)
            {
                metadata["name"] = group;
            }

            items.Add(new JsonObject { ["metadata"] = metadata, ["versions"] = versionItems });
        }

        return new JsonObject
        {
            ["kind"] = "APIGroupDiscoveryList",
            ["apiVersion"] = apiVersion,
            ["metadata"] = new JsonObject(),
            ["items"] = items,
        };
    }

    private static JsonArray Strings(IEnumerable<string> values) => new(values.Select(v => (JsonNode?)v).ToArray());
}
