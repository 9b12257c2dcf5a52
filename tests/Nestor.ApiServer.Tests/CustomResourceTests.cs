using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using k8s;
using k8s.Models;

namespace Nestor.ApiServer.Tests;

/// <summary>CRDs created through the server become served resources with schema validation, defaults, CEL rules and subresources.</summary>
public sealed class CustomResourceTests
{
    private const string Group = "test.nestor.dev";

    private static JsonObject Widget(string name, string size, object? extra = null)
    {
        var spec = new JsonObject { ["size"] = size };
        if (extra is not null)
        {
            foreach (var (key, value) in JsonNode.Parse(JsonSerializer.Serialize(extra))!.AsObject())
            {
                spec[key] = value?.DeepClone();
            }
        }

        return new JsonObject { ["apiVersion"] = $"{Group}/v1", ["kind"] = "Widget", ["metadata"] = new JsonObject { ["name"] = name }, ["spec"] = spec };
    }

    private static JsonObject AsJson(object o) => JsonNode.Parse(JsonSerializer.Serialize(o))!.AsObject();

    [Fact]
    public async Task Crd_IsEstablished_AndItsResourcesAreDiscoverable()
    {
        await using var server = await TestServer.StartAsync();
        var client = server.Client();
        await client.InstallWidgetCrdAsync();
        var (status, list, _) = await server.RawAsync(HttpMethod.Get, "/apis/test.nestor.dev/v1");
        Assert.Equal(200, status);
        var names = list!["resources"]!.AsArray().Select(r => (string?)r!["name"]).ToList();
        Assert.Equal(["widgets", "widgets/status", "widgets/scale"], names);
        var (_, aggregated, response) = await server.RawAsync(HttpMethod.Get, "/apis", accept: "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json");
        Assert.Contains("as=APIGroupDiscoveryList", response.Content.Headers.ContentType!.ToString(), StringComparison.Ordinal);
        Assert.Contains(aggregated!["items"]!.AsArray(), i => (string?)i!["metadata"]!["name"] == Group);
    }

    [Fact]
    public async Task CustomResource_GetsDefaults_PrunesUnknownFields_AndTracksGeneration()
    {
        await using var server = await TestServer.StartAsync();
        var client = server.Client();
        await client.InstallWidgetCrdAsync();
        var created = AsJson(await client.CustomObjects.CreateNamespacedCustomObjectAsync(Widget("w", "small", new { unknown = 1 }), Group, "v1", "default", "widgets"));
        Assert.Equal(1, (int?)created["spec"]!["replicas"]);
        Assert.Null(created["spec"]!["unknown"]);
        Assert.Equal(1, (long?)created["metadata"]!["generation"]);

        created["status"] = new JsonObject { ["replicas"] = 1 };
        var withStatus = AsJson(await client.CustomObjects.ReplaceNamespacedCustomObjectStatusAsync(created, Group, "v1", "default", "widgets", "w"));
        Assert.Equal(1, (long?)withStatus["metadata"]!["generation"]);
        Assert.Equal(1, (int?)withStatus["status"]!["replicas"]);

        var patch = new V1Patch("""{"spec":{"size":"medium"},"status":{"replicas":9}}""", V1Patch.PatchType.MergePatch);
        var patched = AsJson(await client.CustomObjects.PatchNamespacedCustomObjectAsync(patch, Group, "v1", "default", "widgets", "w"));
        Assert.Equal(2, (long?)patched["metadata"]!["generation"]);
        Assert.Equal(1, (int?)patched["status"]!["replicas"]);

        var smp = new V1Patch("""{"spec":{"size":"large"}}""", V1Patch.PatchType.StrategicMergePatch);
        var unsupported = await TestServer.ExpectErrorAsync(() => client.CustomObjects.PatchNamespacedCustomObjectAsync(smp, Group, "v1", "default", "widgets", "w"));
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, unsupported.Response.StatusCode);

        var withoutVersion = AsJson(patched);
        withoutVersion["metadata"]!.AsObject().Remove("resourceVersion");
        var unconditional = await TestServer.ExpectErrorAsync(() => client.CustomObjects.ReplaceNamespacedCustomObjectAsync(withoutVersion, Group, "v1", "default", "widgets", "w"));
        Assert.Equal(422, (int)unconditional.Response.StatusCode);
    }

    [Fact]
    public async Task InvalidCustomResource_Gets422_WithFieldPaths()
    {
        await using var server = await TestServer.StartAsync();
        var client = server.Client();
        await client.InstallWidgetCrdAsync();
        var bad = Widget("bad", "huge", new { replicas = 11, minReplicas = 20, budgets = new object[] { new { fraction = 0.5 }, new { name = "UPPER" } } });
        var error = await TestServer.ExpectErrorAsync(() => client.CustomObjects.CreateNamespacedCustomObjectAsync(bad, Group, "v1", "default", "widgets"));
        Assert.Equal(422, (int)error.Response.StatusCode);
        var status = error.Status();
        Assert.Equal("Invalid", (string?)status["reason"]);
        var causes = status["details"]!["causes"]!.AsArray().Select(c => ((string?)c!["field"], (string?)c["reason"])).ToList();
        Assert.Contains(("spec.size", "FieldValueNotSupported"), causes);
        Assert.Contains(("spec.replicas", "FieldValueInvalid"), causes);
        Assert.Contains(("spec.budgets[0].name", "FieldValueRequired"), causes);
        Assert.Contains(("spec.budgets[1].name", "FieldValueInvalid"), causes);
        Assert.Contains(("spec", "FieldValueInvalid"), causes);
        Assert.Contains("minReplicas must be <= replicas", (string?)status["message"], StringComparison.Ordinal);
        Assert.StartsWith("Widget.test.nestor.dev \"bad\" is invalid: [", (string?)status["message"], StringComparison.Ordinal);

        var strict = await server.RawAsync(HttpMethod.Post, "/apis/test.nestor.dev/v1/namespaces/default/widgets?fieldValidation=Strict",
            Widget("strict", "small", new { nope = true }).ToJsonString());
        Assert.Equal(400, strict.Status);
        Assert.Contains("unknown field \"spec.nope\"", (string?)strict.Body!["message"], StringComparison.Ordinal);

        var warn = await server.RawAsync(HttpMethod.Post, "/apis/test.nestor.dev/v1/namespaces/default/widgets", Widget("warn", "small", new { nope = true }).ToJsonString());
        Assert.Equal(201, warn.Status);
        Assert.Contains("unknown field \\\"spec.nope\\\"", warn.Response.Headers.GetValues("Warning").Single(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task ScaleSubresource_ReadsAndWritesTheCrdPaths()
    {
        await using var server = await TestServer.StartAsync();
        var client = server.Client();
        await client.InstallWidgetCrdAsync();
        await client.CustomObjects.CreateNamespacedCustomObjectAsync(Widget("s", "small", new { replicas = 2 }), Group, "v1", "default", "widgets");
        var status = new V1Patch("""{"status":{"replicas":2,"selector":"app=s"}}""", V1Patch.PatchType.MergePatch);
        await client.CustomObjects.PatchNamespacedCustomObjectStatusAsync(status, Group, "v1", "default", "widgets", "s");
        var scale = AsJson(await client.CustomObjects.GetNamespacedCustomObjectScaleAsync(Group, "v1", "default", "widgets", "s"));
        Assert.Equal(2, (int?)scale["spec"]!["replicas"]);
        Assert.Equal("app=s", (string?)scale["status"]!["selector"]);
        await client.CustomObjects.PatchNamespacedCustomObjectScaleAsync(new V1Patch("""{"spec":{"replicas":4}}""", V1Patch.PatchType.MergePatch), Group, "v1", "default", "widgets", "s");
        var widget = AsJson(await client.CustomObjects.GetNamespacedCustomObjectAsync(Group, "v1", "default", "widgets", "s"));
        Assert.Equal(4, (int?)widget["spec"]!["replicas"]);

        var tooMany = await TestServer.ExpectErrorAsync(() => client.CustomObjects.PatchNamespacedCustomObjectScaleAsync(
            new V1Patch("""{"spec":{"replicas":40}}""", V1Patch.PatchType.MergePatch), Group, "v1", "default", "widgets", "s"));
        Assert.Equal(422, (int)tooMany.Response.StatusCode);
    }

    [Fact]
    public async Task Table_UsesPrinterColumns()
    {
        await using var server = await TestServer.StartAsync();
        var client = server.Client();
        await client.InstallWidgetCrdAsync();
        await client.CustomObjects.CreateNamespacedCustomObjectAsync(Widget("t", "medium", new { replicas = 3 }), Group, "v1", "default", "widgets");
        await client.CustomObjects.PatchNamespacedCustomObjectStatusAsync(new V1Patch("""{"status":{"conditions":[{"type":"Ready","status":"True"}]}}""", V1Patch.PatchType.MergePatch),
            Group, "v1", "default", "widgets", "t");
        var (status, table, _) = await server.RawAsync(HttpMethod.Get, "/apis/test.nestor.dev/v1/namespaces/default/widgets",
            accept: "application/json;as=Table;v=v1;g=meta.k8s.io,application/json");
        Assert.Equal(200, status);
        Assert.Equal("Table", (string?)table!["kind"]);
        Assert.Equal(["Name", "Size", "Replicas", "Ready", "Age"], table["columnDefinitions"]!.AsArray().Select(c => (string?)c!["name"]));
        var cells = table["rows"]![0]!["cells"]!.AsArray();
        Assert.Equal("t", (string?)cells[0]);
        Assert.Equal("medium", (string?)cells[1]);
        Assert.Equal(3, (int?)cells[2]);
        Assert.Equal("True", (string?)cells[3]);
        Assert.Matches("^[0-9]+s$", (string?)cells[4]);
        Assert.Equal("PartialObjectMetadata", (string?)table["rows"]![0]!["object"]!["kind"]);
    }

    [Fact]
    public async Task DeletingTheCrd_RemovesItsObjects_AfterTheirFinalizers()
    {
        await using var server = await TestServer.StartAsync();
        var client = server.Client();
        await client.InstallWidgetCrdAsync();
        var held = Widget("held", "small");
        held["metadata"]!["finalizers"] = new JsonArray("test.nestor.dev/hold");
        await client.CustomObjects.CreateNamespacedCustomObjectAsync(held, Group, "v1", "default", "widgets");
        await client.CustomObjects.CreateNamespacedCustomObjectAsync(Widget("free", "small"), Group, "v1", "default", "widgets");
        await client.ApiextensionsV1.DeleteCustomResourceDefinitionAsync("widgets.test.nestor.dev");

        Assert.True(await Nestor.Testing.Eventually.TrueAsync(async () =>
        {
            var list = AsJson(await client.CustomObjects.ListNamespacedCustomObjectAsync(Group, "v1", "default", "widgets"));
            return list["items"]!.AsArray().Count == 1;
        }));
        var crd = await client.ApiextensionsV1.ReadCustomResourceDefinitionAsync("widgets.test.nestor.dev");
        Assert.NotNull(crd.Metadata.DeletionTimestamp);

        await client.CustomObjects.PatchNamespacedCustomObjectAsync(new V1Patch("""{"metadata":{"finalizers":null}}""", V1Patch.PatchType.MergePatch),
            Group, "v1", "default", "widgets", "held");
        Assert.True(await Nestor.Testing.Eventually.TrueAsync(async () =>
            (await client.ApiextensionsV1.ListCustomResourceDefinitionAsync()).Items.Count == 0));
        var (status, _, _) = await server.RawAsync(HttpMethod.Get, "/apis/test.nestor.dev/v1/namespaces/default/widgets");
        Assert.Equal(404, status);
    }
}
