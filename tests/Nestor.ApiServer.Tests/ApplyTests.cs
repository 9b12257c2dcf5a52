using System.Net;
using k8s;
using k8s.Models;

namespace Nestor.ApiServer.Tests;

/// <summary>Server-side apply: field managers, managedFields, conflicts, force, and removal of fields no longer applied.</summary>
public sealed class ApplyTests
{
    /// <summary>KubernetesClient sends the apply configuration as JSON (valid YAML); the server also accepts YAML (see the raw test).</summary>
    private static V1Patch Apply(string yaml) =>
        new(System.Text.Json.JsonSerializer.Serialize(new YamlDotNet.Serialization.DeserializerBuilder().WithAttemptingUnquotedStringTypeDeserialization().Build()
            .Deserialize<object>(yaml), JsonOptions), V1Patch.PatchType.ApplyPatch);

    private static readonly System.Text.Json.JsonSerializerOptions JsonOptions = new();

    [Fact]
    public async Task Apply_AcceptsYamlBodies()
    {
        await using var server = await TestServer.StartAsync();
        var (status, body, _) = await server.RawAsync(HttpMethod.Patch, "/api/v1/namespaces/default/configmaps/y?fieldManager=raw",
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: y\ndata:\n  count: '3'\n  on: 'yes'\n", "application/apply-patch+yaml");
        Assert.Equal(201, status);
        Assert.Equal("3", (string?)body!["data"]!["count"]);
        Assert.Equal("Apply", (string?)body["metadata"]!["managedFields"]![0]!["operation"]);
    }

    [Fact]
    public async Task Apply_CreatesUpdatesConflictsAndForces()
    {
        await using var server = await TestServer.StartAsync();
        var client = server.Client();
        const string first = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n  labels: {team: x}\ndata:\n  one: '1'\n  two: '2'\n";
        var created = await client.CoreV1.PatchNamespacedConfigMapAsync(Apply(first), "a", "default", fieldManager: "alice");
        Assert.Equal("2", created.Data["two"]);
        var entry = Assert.Single(created.Metadata.ManagedFields);
        Assert.Equal(("alice", "Apply"), (entry.Manager, entry.Operation));

        await client.CoreV1.PatchNamespacedConfigMapAsync(new V1Patch("""{"data":{"one":"changed","three":"3"}}""", V1Patch.PatchType.MergePatch), "a", "default", fieldManager: "bob");
        var conflict = await TestServer.ExpectErrorAsync(() => client.CoreV1.PatchNamespacedConfigMapAsync(Apply(first), "a", "default", fieldManager: "alice"));
        Assert.Equal(HttpStatusCode.Conflict, conflict.Response.StatusCode);
        Assert.Contains("conflict with \"bob\"", (string?)conflict.Status()["message"], StringComparison.Ordinal);
        Assert.Equal(".data.one", (string?)conflict.Status()["details"]!["causes"]![0]!["field"]);

        var forced = await client.CoreV1.PatchNamespacedConfigMapAsync(Apply(first), "a", "default", fieldManager: "alice", force: true);
        Assert.Equal("1", forced.Data["one"]);

        const string second = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\ndata:\n  one: '1'\n";
        var shrunk = await client.CoreV1.PatchNamespacedConfigMapAsync(Apply(second), "a", "default", fieldManager: "alice");
        Assert.False(shrunk.Data.ContainsKey("two"));
        Assert.Equal("3", shrunk.Data["three"]);
        Assert.Null(shrunk.Metadata.Labels);

        var noManager = await TestServer.ExpectErrorAsync(() => client.CoreV1.PatchNamespacedConfigMapAsync(Apply(second), "a", "default"));
        Assert.Equal(HttpStatusCode.BadRequest, noManager.Response.StatusCode);
    }

    [Fact]
    public async Task Apply_MergesKeyedListsOfBuiltins_AndSharesOwnershipOfEqualValues()
    {
        await using var server = await TestServer.StartAsync();
        var client = server.Client();
        const string mine = """
            apiVersion: apps/v1
            kind: Deployment
            metadata: {name: d}
            spec:
              selector: {matchLabels: {app: d}}
              template:
                metadata: {labels: {app: d}}
                spec:
                  containers:
                  - {name: main, image: 'app:1'}
            """;
        await client.AppsV1.PatchNamespacedDeploymentAsync(Apply(mine), "d", "default", fieldManager: "operator");
        const string sidecar = """
            apiVersion: apps/v1
            kind: Deployment
            metadata: {name: d}
            spec:
              template:
                spec:
                  containers:
                  - {name: proxy, image: 'proxy:1'}
            """;
        var both = await client.AppsV1.PatchNamespacedDeploymentAsync(Apply(sidecar), "d", "default", fieldManager: "injector");
        Assert.Equal(["main", "proxy"], both.Spec.Template.Spec.Containers.Select(c => c.Name));

        var same = await client.AppsV1.PatchNamespacedDeploymentAsync(Apply(mine.Replace("name: d}", "name: d}", StringComparison.Ordinal)), "d", "default", fieldManager: "other");
        Assert.Equal(3, same.Metadata.ManagedFields.Count);
    }
}
