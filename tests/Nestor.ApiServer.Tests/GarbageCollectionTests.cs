using k8s;
using k8s.Models;
using Nestor.Testing;

namespace Nestor.ApiServer.Tests;

/// <summary>Finalizers, ownerReference garbage collection (background, foreground, orphan) and namespace deletion.</summary>
public sealed class GarbageCollectionTests
{
    private static V1ConfigMap Child(string name, V1ObjectMeta owner, bool block = false)
    {
        var child = TestServer.ConfigMap(name);
        child.Metadata.OwnerReferences = [new V1OwnerReference { ApiVersion = "v1", Kind = "ConfigMap", Name = owner.Name, Uid = owner.Uid, BlockOwnerDeletion = block, Controller = true }];
        return child;
    }

    private static async Task<bool> ExistsAsync(Kubernetes client, string name, string ns = "default")
    {
        try
        {
            await client.CoreV1.ReadNamespacedConfigMapAsync(name, ns);
            return true;
        }
        catch (k8s.Autorest.HttpOperationException e) when (e.Response.StatusCode == System.Net.HttpStatusCode.NotFound)
        {
            return false;
        }
    }

    [Fact]
    public async Task Finalizers_KeepTheObjectUntilRemoved_AndNoneCanBeAddedDuringDeletion()
    {
        await using var server = await TestServer.StartAsync();
        var client = server.Client();
        var cm = TestServer.ConfigMap("f");
        cm.Metadata.Finalizers = ["nestor.dev/cleanup"];
        await client.CoreV1.CreateNamespacedConfigMapAsync(cm, "default");
        await client.CoreV1.DeleteNamespacedConfigMapAsync("f", "default");
        var terminating = await client.CoreV1.ReadNamespacedConfigMapAsync("f", "default");
        Assert.NotNull(terminating.Metadata.DeletionTimestamp);

        terminating.Metadata.Finalizers.Add("nestor.dev/another");
        var error = await TestServer.ExpectErrorAsync(() => client.CoreV1.ReplaceNamespacedConfigMapAsync(terminating, "f", "default"));
        Assert.Equal(422, (int)error.Response.StatusCode);

        await client.CoreV1.PatchNamespacedConfigMapAsync(new V1Patch("""{"metadata":{"finalizers":null}}""", V1Patch.PatchType.MergePatch), "f", "default");
        Assert.False(await ExistsAsync(client, "f"));
    }

    [Fact]
    public async Task BackgroundDeletion_CollectsDependents_AndDanglingReferencesAreRemoved()
    {
        await using var server = await TestServer.StartAsync();
        var client = server.Client();
        var owner = (await client.CoreV1.CreateNamespacedConfigMapAsync(TestServer.ConfigMap("owner"), "default")).Metadata;
        var other = (await client.CoreV1.CreateNamespacedConfigMapAsync(TestServer.ConfigMap("other"), "default")).Metadata;
        await client.CoreV1.CreateNamespacedConfigMapAsync(Child("child", owner), "default");
        var grandchild = (await client.CoreV1.ReadNamespacedConfigMapAsync("child", "default")).Metadata;
        await client.CoreV1.CreateNamespacedConfigMapAsync(Child("grandchild", grandchild), "default");
        var shared = Child("shared", owner);
        shared.Metadata.OwnerReferences.Add(new V1OwnerReference { ApiVersion = "v1", Kind = "ConfigMap", Name = other.Name, Uid = other.Uid });
        await client.CoreV1.CreateNamespacedConfigMapAsync(shared, "default");

        await client.CoreV1.DeleteNamespacedConfigMapAsync("owner", "default", propagationPolicy: "Background");
        Assert.True(await Eventually.TrueAsync(async () => !await ExistsAsync(client, "child") && !await ExistsAsync(client, "grandchild")));
        Assert.True(await Eventually.TrueAsync(async () =>
            (await client.CoreV1.ReadNamespacedConfigMapAsync("shared", "default")).Metadata.OwnerReferences.Select(r => r.Uid).SequenceEqual([other.Uid])));
    }

    [Fact]
    public async Task ForegroundDeletion_WaitsForBlockingDependents()
    {
        await using var server = await TestServer.StartAsync();
        var client = server.Client();
        var owner = (await client.CoreV1.CreateNamespacedConfigMapAsync(TestServer.ConfigMap("owner"), "default")).Metadata;
        var child = Child("child", owner, block: true);
        child.Metadata.Finalizers = ["nestor.dev/slow"];
        await client.CoreV1.CreateNamespacedConfigMapAsync(child, "default");

        await client.CoreV1.DeleteNamespacedConfigMapAsync("owner", "default", propagationPolicy: "Foreground");
        Assert.True(await Eventually.TrueAsync(async () => (await client.CoreV1.ReadNamespacedConfigMapAsync("child", "default")).Metadata.DeletionTimestamp is not null));
        var waiting = await client.CoreV1.ReadNamespacedConfigMapAsync("owner", "default");
        Assert.Contains("foregroundDeletion", waiting.Metadata.Finalizers);

        await client.CoreV1.PatchNamespacedConfigMapAsync(new V1Patch("""{"metadata":{"finalizers":null}}""", V1Patch.PatchType.MergePatch), "child", "default");
        Assert.True(await Eventually.TrueAsync(async () => !await ExistsAsync(client, "owner")));
    }

    [Fact]
    public async Task OrphanDeletion_KeepsDependents_WithoutTheOwnerReference()
    {
        await using var server = await TestServer.StartAsync();
        var client = server.Client();
        var owner = (await client.CoreV1.CreateNamespacedConfigMapAsync(TestServer.ConfigMap("owner"), "default")).Metadata;
        await client.CoreV1.CreateNamespacedConfigMapAsync(Child("child", owner), "default");
        await client.CoreV1.DeleteNamespacedConfigMapAsync("owner", "default", propagationPolicy: "Orphan");
        Assert.True(await Eventually.TrueAsync(async () => !await ExistsAsync(client, "owner")));
        var orphan = await client.CoreV1.ReadNamespacedConfigMapAsync("child", "default");
        Assert.Null(orphan.Metadata.OwnerReferences);
    }

    [Fact]
    public async Task DeletingANamespace_DeletesItsContents_ThenTheNamespace()
    {
        await using var server = await TestServer.StartAsync();
        var client = server.Client();
        await client.CoreV1.CreateNamespaceAsync(new V1Namespace { Metadata = new V1ObjectMeta { Name = "team" } });
        var held = TestServer.ConfigMap("a");
        held.Metadata.Finalizers = ["nestor.dev/hold"];
        await client.CoreV1.CreateNamespacedConfigMapAsync(held, "team");
        Assert.True(await Eventually.TrueAsync(async () => (await client.CoreV1.ListNamespacedServiceAccountAsync("team")).Items.Count == 1));
        await client.CoreV1.DeleteNamespaceAsync("team");
        var terminating = await TestServer.ExpectErrorAsync(() => client.CoreV1.CreateNamespacedConfigMapAsync(TestServer.ConfigMap("b"), "team"));
        Assert.Equal(System.Net.HttpStatusCode.Forbidden, terminating.Response.StatusCode);
        Assert.True(await Eventually.TrueAsync(async () => (await client.CoreV1.ReadNamespacedConfigMapAsync("a", "team")).Metadata.DeletionTimestamp is not null));
        Assert.Equal("Terminating", (await client.CoreV1.ReadNamespaceAsync("team")).Status.Phase);
        await client.CoreV1.PatchNamespacedConfigMapAsync(new V1Patch("""{"metadata":{"finalizers":null}}""", V1Patch.PatchType.MergePatch), "a", "team");
        Assert.True(await Eventually.TrueAsync(async () => (await client.CoreV1.ListNamespaceAsync()).Items.All(n => n.Metadata.Name != "team")));
        Assert.Empty((await client.CoreV1.ListNamespacedConfigMapAsync("team")).Items);
    }
}
