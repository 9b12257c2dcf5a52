using System.Net;
using k8s;
using k8s.Models;
using Nestor.Local.Controllers.Deployments;

namespace Nestor.Local.Tests;

/// <summary>Deployments whose pods are real HTTP server processes on their own loopback addresses.</summary>
public sealed class DeploymentTests
{
    [Fact]
    public async Task PodsBecomeReadyWithTheirOwnLoopbackIpsAndServe()
    {
        await using var test = await TestCluster.StartAsync();
        await test.Client.CreateNamespacedDeploymentAsync(TestCluster.Deployment("web", 2, TestCluster.HttpServer()), TestCluster.Namespace);

        await TestCluster.WaitAsync(async () => (await test.Client.ReadNamespacedDeploymentAsync("web", TestCluster.Namespace)).Status is
        { ReadyReplicas: 2, AvailableReplicas: 2, UpdatedReplicas: 2, Replicas: 2 }, "2 ready replicas");

        var pods = await test.PodsAsync("app=web");
        Assert.Equal(2, pods.Count);
        Assert.Equal(2, pods.Select(p => p.Status.PodIP).Distinct().Count());
        foreach (var pod in pods)
        {
            Assert.StartsWith("127.10.", pod.Status.PodIP, StringComparison.Ordinal);
            Assert.Equal("Running", pod.Status.Phase);
            Assert.Contains(PodTemplateHash.Label, pod.Metadata.Labels.Keys);
            Assert.Equal("True", pod.Status.Conditions.Single(c => c.Type == "Ready").Status);
            var container = Assert.Single(pod.Status.ContainerStatuses);
            Assert.True(container.Ready);
            Assert.NotNull(container.State.Running);

            // The process itself answers on the pod's address, with the downward API values it was given.
            using var response = await test.GetAsync($"http://{pod.Status.PodIP}:8080/index.html");
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal($"{pod.Metadata.Name} v1", (await response.Content.ReadAsStringAsync()).Trim());
        }

        var deployment = await test.Client.ReadNamespacedDeploymentAsync("web", TestCluster.Namespace);
        Assert.Contains(deployment.Status.Conditions, c => c.Type == "Available" && c.Status == "True");
        Assert.Contains(deployment.Status.Conditions, c => c.Type == "Progressing" && c.Reason == "NewReplicaSetAvailable");
    }

    [Fact]
    public async Task ScalesUpAndDownAndRollsOutANewTemplate()
    {
        await using var test = await TestCluster.StartAsync();
        await test.Client.CreateNamespacedDeploymentAsync(TestCluster.Deployment("roll", 1, TestCluster.HttpServer("v1")), TestCluster.Namespace);
        await WaitReadyAsync(test, 1);

        await ScaleAsync(test, 3);
        await WaitReadyAsync(test, 3);
        Assert.Equal(3, (await test.PodsAsync("app=roll")).Count(p => p.Metadata.DeletionTimestamp is null));

        // A template change: every pod is replaced, never fewer than replicas - maxUnavailable ready meanwhile.
        var oldHash = (await test.PodsAsync("app=roll")).Select(p => p.Metadata.Labels[PodTemplateHash.Label]).Distinct().Single();
        var patch = new V1Patch("{\"spec\":{\"template\":{\"spec\":{\"containers\":[{\"name\":\"web\",\"env\":[{\"name\":\"VERSION\",\"value\":\"v2\"}]}]}}}}",
            V1Patch.PatchType.StrategicMergePatch);
        await test.Client.PatchNamespacedDeploymentAsync(patch, "roll", TestCluster.Namespace);
        var minReady = int.MaxValue;
        await TestCluster.WaitAsync(async () =>
        {
            var status = (await test.Client.ReadNamespacedDeploymentAsync("roll", TestCluster.Namespace)).Status;
            minReady = Math.Min(minReady, status.ReadyReplicas ?? 0);
            var pods = await test.PodsAsync("app=roll");
            return status is { UpdatedReplicas: 3, ReadyReplicas: 3, AvailableReplicas: 3, Replicas: 3 } && pods.Count == 3
                && pods.All(p => p.Metadata.Labels[PodTemplateHash.Label] != oldHash);
        }, "the rollout to finish");
        Assert.True(minReady >= 2, $"ready replicas dropped to {minReady} during the rollout (maxUnavailable is 0; one transient readiness miss is tolerated)");
        foreach (var pod in await test.PodsAsync("app=roll"))
        {
            using var response = await test.GetAsync($"http://{pod.Status.PodIP}:8080/index.html");
            Assert.EndsWith("v2", (await response.Content.ReadAsStringAsync()).Trim(), StringComparison.Ordinal);
        }

        await ScaleAsync(test, 1);
        await TestCluster.WaitAsync(async () => (await test.PodsAsync("app=roll")).Count == 1, "scale down to 1 pod");
        await WaitReadyAsync(test, 1);
    }

    private static Task ScaleAsync(TestCluster test, int replicas) =>
        test.Client.PatchNamespacedDeploymentAsync(new V1Patch($"{{\"spec\":{{\"replicas\":{replicas}}}}}", V1Patch.PatchType.MergePatch), "roll", TestCluster.Namespace);

    private static Task WaitReadyAsync(TestCluster test, int replicas) =>
        TestCluster.WaitAsync(async () => (await test.Client.ReadNamespacedDeploymentAsync("roll", TestCluster.Namespace)).Status is { } s
            && s.ReadyReplicas == replicas && s.Replicas == replicas && s.UpdatedReplicas == replicas, $"{replicas} ready replicas");
}
