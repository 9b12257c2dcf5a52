using System.Net;
using k8s;
using k8s.Models;

namespace Nestor.ApiServer.Tests;

/// <summary>Create, get, list, update, delete of built-in kinds through KubernetesClient, with kube-apiserver's errors.</summary>
public sealed class CrudTests
{
    [Fact]
    public async Task CreateGetUpdateDelete_FollowResourceVersionsAndReturnKubeErrors()
    {
        await using var server = await TestServer.StartAsync();
        var client = server.Client();
        var created = await client.CoreV1.CreateNamespacedConfigMapAsync(TestServer.ConfigMap("a"), "default");
        Assert.False(string.IsNullOrEmpty(created.Metadata.Uid));
        Assert.NotNull(created.Metadata.CreationTimestamp);
        var rv1 = long.Parse(created.Metadata.ResourceVersion, System.Globalization.CultureInfo.InvariantCulture);

        var duplicate = await TestServer.ExpectErrorAsync(() => client.CoreV1.CreateNamespacedConfigMapAsync(TestServer.ConfigMap("a"), "default"));
        Assert.Equal(HttpStatusCode.Conflict, duplicate.Response.StatusCode);
        Assert.Equal("AlreadyExists", (string?)duplicate.Status()["reason"]);

        created.Data["k"] = "changed";
        var updated = await client.CoreV1.ReplaceNamespacedConfigMapAsync(created, "a", "default");
        Assert.True(long.Parse(updated.Metadata.ResourceVersion, System.Globalization.CultureInfo.InvariantCulture) > rv1);

        created.Data["k"] = "stale";
        var stale = await TestServer.ExpectErrorAsync(() => client.CoreV1.ReplaceNamespacedConfigMapAsync(created, "a", "default"));
        Assert.Equal(HttpStatusCode.Conflict, stale.Response.StatusCode);
        Assert.Contains("the object has been modified", (string?)stale.Status()["message"], StringComparison.Ordinal);

        var unchanged = await client.CoreV1.ReplaceNamespacedConfigMapAsync(updated, "a", "default");
        Assert.Equal(updated.Metadata.ResourceVersion, unchanged.Metadata.ResourceVersion);

        await client.CoreV1.DeleteNamespacedConfigMapAsync("a", "default");
        var missing = await TestServer.ExpectErrorAsync(() => client.CoreV1.ReadNamespacedConfigMapAsync("a", "default"));
        Assert.Equal(HttpStatusCode.NotFound, missing.Response.StatusCode);
        Assert.Equal("configmaps \"a\" not found", (string?)missing.Status()["message"]);
    }

    [Fact]
    public async Task Create_GeneratesNames_AndRejectsMissingNamespacesAndBadNames()
    {
        await using var server = await TestServer.StartAsync();
        var client = server.Client();
        var generated = await client.CoreV1.CreateNamespacedConfigMapAsync(new V1ConfigMap { Metadata = new V1ObjectMeta { GenerateName = "gen-" } }, "default");
        Assert.Matches("^gen-[a-z0-9]{5}$", generated.Metadata.Name);

        var noNamespace = await TestServer.ExpectErrorAsync(() => client.CoreV1.CreateNamespacedConfigMapAsync(TestServer.ConfigMap("x"), "nowhere"));
        Assert.Equal(HttpStatusCode.NotFound, noNamespace.Response.StatusCode);
        Assert.Equal("namespaces \"nowhere\" not found", (string?)noNamespace.Status()["message"]);

        var badName = await TestServer.ExpectErrorAsync(() => client.CoreV1.CreateNamespacedConfigMapAsync(TestServer.ConfigMap("Bad_Name"), "default"));
        Assert.Equal(422, (int)badName.Response.StatusCode);
        Assert.Equal("metadata.name", (string?)badName.Status()["details"]!["causes"]![0]!["field"]);
    }

    [Fact]
    public async Task List_FiltersByLabelAndFieldSelectors_AndPaginates()
    {
        await using var server = await TestServer.StartAsync();
        var client = server.Client();
        for (var i = 0; i < 7; i++)
        {
            var labels = new Dictionary<string, string> { ["tier"] = i % 2 == 0 ? "even" : "odd", ["idx"] = i.ToString(System.Globalization.CultureInfo.InvariantCulture) };
            if (i == 3)
            {
                labels["special"] = "yes";
            }

            await client.CoreV1.CreateNamespacedConfigMapAsync(TestServer.ConfigMap($"cm-{i}", labels), "default");
        }

        async Task<string[]> Names(string? labels = null, string? fields = null) =>
            (await client.CoreV1.ListNamespacedConfigMapAsync("default", labelSelector: labels, fieldSelector: fields)).Items.Select(c => c.Metadata.Name).ToArray();

        Assert.Equal(4, (await Names("tier=even")).Length);
        Assert.Equal(3, (await Names("tier!=even")).Length);
        Assert.Equal(["cm-1", "cm-2"], await Names("idx in (1,2)"));
        Assert.Equal(5, (await Names("idx notin (1,2)")).Length);
        Assert.Equal(["cm-3"], await Names("special"));
        Assert.Equal(6, (await Names("!special")).Length);
        Assert.Equal(["cm-5"], await Names("tier=odd,idx>4"));
        Assert.Equal(["cm-4"], await Names(fields: "metadata.name=cm-4"));
        Assert.Equal(6, (await Names(fields: "metadata.name!=cm-4")).Length);
        Assert.Equal(7, (await Names(fields: "metadata.namespace=default")).Length);

        var unsupported = await TestServer.ExpectErrorAsync(() => Names(fields: "spec.nothing=1"));
        Assert.Equal(HttpStatusCode.BadRequest, unsupported.Response.StatusCode);

        var pages = new List<string>();
        string? token = null;
        var rounds = 0;
        do
        {
            var page = await client.CoreV1.ListNamespacedConfigMapAsync("default", limit: 3, continueParameter: token);
            pages.AddRange(page.Items.Select(c => c.Metadata.Name));
            token = page.Metadata.ContinueProperty;
            if (rounds == 0)
            {
                // Written after the first page: a consistent paginated list must not show it.
                await client.CoreV1.CreateNamespacedConfigMapAsync(TestServer.ConfigMap("cm-9"), "default");
            }

            rounds++;
        }
        while (token is not null);
        Assert.Equal(3, rounds);
        Assert.Equal(Enumerable.Range(0, 7).Select(i => $"cm-{i}"), pages);
    }

    [Fact]
    public async Task Deployment_GetsDefaults_GenerationTracksSpec_StatusAndScaleSubresources()
    {
        await using var server = await TestServer.StartAsync();
        var client = server.Client();
        var deployment = TestServer.FixtureObject<V1Deployment>("widgets.yaml", "Deployment");
        var created = await client.AppsV1.CreateNamespacedDeploymentAsync(deployment, "default");
        Assert.Equal(1, created.Metadata.Generation);
        Assert.Equal("RollingUpdate", created.Spec.Strategy.Type);
        Assert.Equal("IfNotPresent", created.Spec.Template.Spec.Containers[0].ImagePullPolicy);
        Assert.Equal("TCP", created.Spec.Template.Spec.Containers[0].Ports[0].Protocol);

        created.Status = new V1DeploymentStatus { ReadyReplicas = 2, Replicas = 2 };
        var withStatus = await client.AppsV1.ReplaceNamespacedDeploymentStatusAsync(created, "web", "default");
        Assert.Equal(2, withStatus.Status.ReadyReplicas);
        Assert.Equal(1, withStatus.Metadata.Generation);

        withStatus.Status.ReadyReplicas = 0;
        withStatus.Metadata.Labels["extra"] = "label";
        var mainEndpoint = await client.AppsV1.ReplaceNamespacedDeploymentAsync(withStatus, "web", "default");
        Assert.Equal(2, mainEndpoint.Status.ReadyReplicas);
        Assert.Equal(1, mainEndpoint.Metadata.Generation);
        Assert.Equal("label", mainEndpoint.Metadata.Labels["extra"]);

        var scale = await client.AppsV1.ReadNamespacedDeploymentScaleAsync("web", "default");
        Assert.Equal(2, scale.Spec.Replicas);
        Assert.Equal("app=web", scale.Status.Selector);
        scale.Spec.Replicas = 5;
        await client.AppsV1.ReplaceNamespacedDeploymentScaleAsync(scale, "web", "default");
        var scaled = await client.AppsV1.ReadNamespacedDeploymentAsync("web", "default");
        Assert.Equal(5, scaled.Spec.Replicas);
        Assert.Equal(2, scaled.Metadata.Generation);

        var invalid = TestServer.FixtureObject<V1Deployment>("widgets.yaml", "Deployment");
        invalid.Metadata.Name = "mismatch";
        invalid.Spec.Template.Metadata.Labels = new Dictionary<string, string> { ["app"] = "other" };
        var error = await TestServer.ExpectErrorAsync(() => client.AppsV1.CreateNamespacedDeploymentAsync(invalid, "default"));
        Assert.Equal(422, (int)error.Response.StatusCode);
        Assert.Contains("`selector` does not match template `labels`", error.Response.Content, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Patches_MergeJsonAndStrategic_FollowTheirRules()
    {
        await using var server = await TestServer.StartAsync();
        var client = server.Client();
        var deployment = TestServer.FixtureObject<V1Deployment>("widgets.yaml", "Deployment");
        await client.AppsV1.CreateNamespacedDeploymentAsync(deployment, "default");

        var strategic = """{"spec":{"template":{"spec":{"containers":[{"name":"sidecar","image":"busybox:1"},{"name":"web","env":[{"name":"EXTRA","value":"1"}]}]}}}}""";
        var patched = await client.AppsV1.PatchNamespacedDeploymentAsync(new V1Patch(strategic, V1Patch.PatchType.StrategicMergePatch), "web", "default");
        Assert.Equal(["web", "sidecar"], patched.Spec.Template.Spec.Containers.Select(c => c.Name));
        Assert.Equal(["MODE", "EXTRA"], patched.Spec.Template.Spec.Containers[0].Env.Select(e => e.Name));
        Assert.Equal("nginx:1.27", patched.Spec.Template.Spec.Containers[0].Image);

        var delete = """{"spec":{"template":{"spec":{"containers":[{"name":"sidecar","$patch":"delete"}]}}}}""";
        patched = await client.AppsV1.PatchNamespacedDeploymentAsync(new V1Patch(delete, V1Patch.PatchType.StrategicMergePatch), "web", "default");
        Assert.Equal(["web"], patched.Spec.Template.Spec.Containers.Select(c => c.Name));

        var merge = """{"metadata":{"labels":{"app":null,"new":"yes"}}}""";
        patched = await client.AppsV1.PatchNamespacedDeploymentAsync(new V1Patch(merge, V1Patch.PatchType.MergePatch), "web", "default");
        Assert.Equal(new Dictionary<string, string> { ["new"] = "yes" }, patched.Metadata.Labels);

        var json = """[{"op":"replace","path":"/spec/replicas","value":7},{"op":"test","path":"/metadata/labels/new","value":"yes"}]""";
        patched = await client.AppsV1.PatchNamespacedDeploymentAsync(new V1Patch(json, V1Patch.PatchType.JsonPatch), "web", "default");
        Assert.Equal(7, patched.Spec.Replicas);

        var failedTest = """[{"op":"test","path":"/spec/replicas","value":1}]""";
        var error = await TestServer.ExpectErrorAsync(() => client.AppsV1.PatchNamespacedDeploymentAsync(new V1Patch(failedTest, V1Patch.PatchType.JsonPatch), "web", "default"));
        Assert.Equal(422, (int)error.Response.StatusCode);

        var stalePatch = """{"metadata":{"resourceVersion":"1"},"spec":{"replicas":1}}""";
        var conflict = await TestServer.ExpectErrorAsync(() => client.AppsV1.PatchNamespacedDeploymentAsync(new V1Patch(stalePatch, V1Patch.PatchType.MergePatch), "web", "default"));
        Assert.Equal(HttpStatusCode.Conflict, conflict.Response.StatusCode);
    }

    [Fact]
    public async Task DryRun_ValidatesWithoutStoring()
    {
        await using var server = await TestServer.StartAsync();
        var client = server.Client();
        var before = server.ResourceVersion;
        var result = await client.CoreV1.CreateNamespacedConfigMapAsync(TestServer.ConfigMap("dry"), "default", dryRun: "All");
        Assert.Equal("dry", result.Metadata.Name);
        Assert.Equal(before, server.ResourceVersion);
        await TestServer.ExpectErrorAsync(() => client.CoreV1.ReadNamespacedConfigMapAsync("dry", "default"));
    }

    [Fact]
    public async Task Secrets_ConvertStringData_Services_GetClusterIps()
    {
        await using var server = await TestServer.StartAsync();
        var client = server.Client();
        var secret = await client.CoreV1.CreateNamespacedSecretAsync(new V1Secret
        {
            Metadata = new V1ObjectMeta { Name = "s" },
            StringData = new Dictionary<string, string> { ["password"] = "hunter2" },
        }, "default");
        Assert.Equal("hunter2", System.Text.Encoding.UTF8.GetString(secret.Data["password"]));
        Assert.Equal("Opaque", secret.Type);

        var service = TestServer.FixtureObject<V1Service>("widgets.yaml", "Service");
        var created = await client.CoreV1.CreateNamespacedServiceAsync(service, "default");
        Assert.StartsWith("10.96.", created.Spec.ClusterIP, StringComparison.Ordinal);
        Assert.Equal("ClusterIP", created.Spec.Type);
        Assert.Equal("TCP", created.Spec.Ports[0].Protocol);
    }
}
