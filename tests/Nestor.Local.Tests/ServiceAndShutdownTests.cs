using System.Net;
using k8s;
using k8s.Models;
using Nestor.Local.Node.Processes;

namespace Nestor.Local.Tests;

/// <summary>Services on loopback cluster IPs, and a shutdown that leaves no process behind.</summary>
public sealed class ServiceAndShutdownTests
{
    [Fact]
    public async Task ServiceClusterIpForwardsToEveryReadyPod()
    {
        await using var test = await TestCluster.StartAsync();
        await test.Client.CreateNamespacedDeploymentAsync(TestCluster.Deployment("api", 2, TestCluster.HttpServer()), TestCluster.Namespace);
        var service = await test.Client.CreateNamespacedServiceAsync(new V1Service
        {
            Metadata = new V1ObjectMeta { Name = "api" },
            Spec = new V1ServiceSpec
            {
                Selector = new Dictionary<string, string> { ["app"] = "api" },
                Ports = [new V1ServicePort { Name = "http", Port = 8000, TargetPort = "http" }],
            },
        }, TestCluster.Namespace);
        Assert.StartsWith("127.96.", service.Spec.ClusterIP, StringComparison.Ordinal);
        await TestCluster.WaitAsync(async () => (await test.Client.ReadNamespacedDeploymentAsync("api", TestCluster.Namespace)).Status?.ReadyReplicas == 2, "2 ready pods");
        Assert.Equal(IPAddress.Parse(service.Spec.ClusterIP), test.Cluster.ServiceAddress(TestCluster.Namespace, "api"));

        var seen = new HashSet<string>();
        await TestCluster.WaitAsync(async () =>
        {
            try
            {
                using var response = await test.GetAsync($"http://{service.Spec.ClusterIP}:8000/index.html");
                seen.Add((await response.Content.ReadAsStringAsync()).Trim());
            }
            catch (HttpRequestException)
            {
                // the proxy may not have both endpoints yet
            }

            return seen.Count == 2;
        }, "answers from both pods through the service");
        var names = (await test.PodsAsync("app=api")).Select(p => $"{p.Metadata.Name} v1").ToHashSet();
        Assert.True(names.SetEquals(seen), $"answers {string.Join(", ", seen)} are not from pods {string.Join(", ", names)}");

        // A pod's container gets the service's variables.
        await test.Client.CreateNamespacedPodAsync(new V1Pod
        {
            Metadata = new V1ObjectMeta { Name = "client" },
            Spec = new V1PodSpec { RestartPolicy = "Never", Containers = [TestCluster.Shell("printf '%s:%s' $API_SERVICE_HOST $API_SERVICE_PORT_HTTP > /dev/termination-log")] },
        }, TestCluster.Namespace);
        await TestCluster.WaitAsync(async () => (await test.PodAsync("client"))?.Status?.Phase == "Succeeded", "the client pod");
        Assert.Equal($"{service.Spec.ClusterIP}:8000", (await test.PodAsync("client"))!.Status.ContainerStatuses[0].State.Terminated.Message);
    }

    [Fact]
    public async Task AnExecReadinessProbeGatesTheServiceEndpoint()
    {
        await using var test = await TestCluster.StartAsync();
        var server = TestCluster.HttpServer();
        server.ReadinessProbe = new V1Probe { Exec = new V1ExecAction { Command = ["test", "-f", "/state/ready"] }, PeriodSeconds = 1 };
        server.VolumeMounts = [new V1VolumeMount { Name = "state", MountPath = "/state" }];
        var pod = await test.Client.CreateNamespacedPodAsync(new V1Pod
        {
            Metadata = new V1ObjectMeta { Name = "gated", Labels = new Dictionary<string, string> { ["app"] = "gated" } },
            Spec = new V1PodSpec { Containers = [server], Volumes = [new V1Volume { Name = "state", EmptyDir = new V1EmptyDirVolumeSource() }] },
        }, TestCluster.Namespace);
        var service = await test.Client.CreateNamespacedServiceAsync(new V1Service
        {
            Metadata = new V1ObjectMeta { Name = "gated" },
            Spec = new V1ServiceSpec { Selector = new Dictionary<string, string> { ["app"] = "gated" }, Ports = [new V1ServicePort { Port = 8001, TargetPort = 8080 }] },
        }, TestCluster.Namespace);
        await TestCluster.WaitAsync(async () => (await test.PodAsync("gated"))?.Status?.ContainerStatuses?.FirstOrDefault()?.State?.Running is not null, "the server running");
        await TestCluster.WaitAsync(() => Task.FromResult(test.Cluster.ServiceAddress(TestCluster.Namespace, "gated") is not null), "the service proxied");
        await Task.Delay(1500); // a probe period or more: still not ready
        Assert.False((await test.PodAsync("gated"))!.Status.ContainerStatuses[0].Ready);
        await Assert.ThrowsAsync<HttpRequestException>(() => test.GetAsync($"http://{service.Spec.ClusterIP}:8001/index.html"));

        File.WriteAllText(Path.Combine(test.Cluster.Layout.PodDirectory(TestCluster.Namespace, "gated", pod.Metadata.Uid), "volumes", "state", "ready"), "");
        await TestCluster.WaitAsync(async () => (await test.PodAsync("gated"))!.Status.Conditions.Any(c => c.Type == "Ready" && c.Status == "True"), "the pod ready");
        await TestCluster.WaitAsync(async () =>
        {
            try
            {
                using var response = await test.GetAsync($"http://{service.Spec.ClusterIP}:8001/index.html");
                return response.StatusCode == HttpStatusCode.OK;
            }
            catch (HttpRequestException)
            {
                return false;
            }
        }, "the service answering once the pod is ready");
    }

    [Fact]
    public async Task StoppingTheClusterLeavesNoProcessBehind()
    {
        var test = await TestCluster.StartAsync();
        List<int> processes;
        try
        {
            await test.Client.CreateNamespacedDeploymentAsync(TestCluster.Deployment("sleepers", 2, TestCluster.Shell("sleep 300 & sleep 300 & wait")), TestCluster.Namespace);
            var stubborn = TestCluster.Shell("trap '' TERM; sleep 300 & wait");
            await test.Client.CreateNamespacedPodAsync(new V1Pod
            {
                Metadata = new V1ObjectMeta { Name = "stubborn" },
                Spec = new V1PodSpec { Containers = [stubborn], TerminationGracePeriodSeconds = 60 },
            }, TestCluster.Namespace);
            await TestCluster.WaitAsync(() => Task.FromResult(test.Cluster.RunningPids.Count == 3
                && test.Cluster.RunningPids.All(p => Native.GroupMembers(p).Count() >= 2)), "3 pods with their children");
            processes = test.Cluster.RunningPids.SelectMany(Native.GroupMembers).ToList();
            Assert.True(processes.Count >= 7, $"expected at least 7 processes, saw {processes.Count}");
        }
        finally
        {
            await test.DisposeAsync();
        }

        Assert.All(processes, pid => Assert.False(Native.IsAlive(pid), $"process {pid} outlived the cluster"));
    }
}
