using System.Diagnostics;
using k8s;
using k8s.Models;
using Nestor.Local.Node.Images;
using Nestor.Local.Node.Processes;

namespace Nestor.Local.Tests;

/// <summary>The node agent's handling of single pods: termination, restarts, probes, volumes, the downward API.</summary>
public sealed class PodLifecycleTests
{
    private static V1Pod Pod(string name, V1Container container, string restartPolicy = "Always", long grace = 5, IList<V1Volume>? volumes = null) => new()
    {
        Metadata = new V1ObjectMeta { Name = name, NamespaceProperty = TestCluster.Namespace, Labels = new Dictionary<string, string> { ["pod"] = name } },
        Spec = new V1PodSpec { Containers = [container], RestartPolicy = restartPolicy, TerminationGracePeriodSeconds = grace, Volumes = volumes },
    };

    private static V1Volume EmptyDir(string name) => new() { Name = name, EmptyDir = new V1EmptyDirVolumeSource() };

    private static async Task<V1Pod> WaitRunningAsync(TestCluster test, string name)
    {
        V1Pod? pod = null;
        await TestCluster.WaitAsync(async () => (pod = await test.PodAsync(name))?.Status?.ContainerStatuses?.FirstOrDefault()?.State?.Running is not null,
            $"pod {name} running");
        return pod!;
    }

    [Fact]
    public async Task DeletionSendsSigtermAndThePodLivesUntilTheProcessExits()
    {
        await using var test = await TestCluster.StartAsync();
        // On SIGTERM: note it in the shared folder, take 1 s to shut down, exit 0.
        var script = "import signal,sys,time,pathlib\n" +
                     "def stop(*_):\n pathlib.Path('/shared/sigterm').write_text('got it')\n time.sleep(1)\n sys.exit(0)\n" +
                     "signal.signal(signal.SIGTERM, stop)\npathlib.Path('/shared/started').write_text('yes')\nwhile True: time.sleep(0.1)\n";
        var container = new V1Container
        {
            Name = "app",
            Image = "python",
            Command = ["python3", "-c", script],
            VolumeMounts = [new V1VolumeMount { Name = "shared", MountPath = "/shared" }],
        };
        await test.Client.CreateNamespacedPodAsync(Pod("graceful", container, volumes: [EmptyDir("shared")]), TestCluster.Namespace);
        var pod = await WaitRunningAsync(test, "graceful");
        Assert.Contains("nestor.dev/local-node", pod.Metadata.Finalizers);
        var shared = Path.Combine(test.Cluster.Layout.PodDirectory(TestCluster.Namespace, "graceful", pod.Metadata.Uid), "volumes", "shared");
        await TestCluster.WaitAsync(() => Task.FromResult(File.Exists(Path.Combine(shared, "started"))), "the handler installed");

        await test.Client.DeleteNamespacedPodAsync("graceful", TestCluster.Namespace);
        await TestCluster.WaitAsync(() => Task.FromResult(File.Exists(Path.Combine(shared, "sigterm"))), "SIGTERM delivered");
        var terminating = await test.PodAsync("graceful");
        Assert.NotNull(terminating); // the finalizer holds it while the process shuts down
        Assert.NotNull(terminating.Metadata.DeletionTimestamp);

        await TestCluster.WaitAsync(async () => await test.PodAsync("graceful") is null, "the pod to go once the process exited");
        Assert.Equal("got it", File.ReadAllText(Path.Combine(shared, "sigterm")));
        Assert.Empty(test.Cluster.RunningPids);
    }

    [Fact]
    public async Task AProcessIgnoringSigtermIsKilledWithItsChildrenAfterTheGracePeriod()
    {
        await using var test = await TestCluster.StartAsync();
        var container = TestCluster.Shell("trap '' TERM; sleep 300 & sleep 300; wait");
        await test.Client.CreateNamespacedPodAsync(Pod("stubborn", container, grace: 1), TestCluster.Namespace);
        await WaitRunningAsync(test, "stubborn");
        var main = Assert.Single(test.Cluster.RunningPids);
        await TestCluster.WaitAsync(() => Task.FromResult(Native.GroupMembers(main).Count() >= 3), "the shell and its two sleeps");
        var group = Native.GroupMembers(main).ToList();

        var stopwatch = Stopwatch.StartNew();
        await test.Client.DeleteNamespacedPodAsync("stubborn", TestCluster.Namespace);
        await TestCluster.WaitAsync(async () => await test.PodAsync("stubborn") is null, "the pod to go after SIGKILL");
        Assert.True(stopwatch.Elapsed >= TimeSpan.FromSeconds(0.9), $"gone after {stopwatch.Elapsed}: the grace period was not waited");
        Assert.All(group, pid => Assert.False(Native.IsAlive(pid), $"process {pid} of the pod survived"));
    }

    [Fact]
    public async Task KubectlLogsReadsTheCurrentAndThePreviousRunOfAContainer()
    {
        await using var test = await TestCluster.StartAsync();
        // Each run prints three lines, then exits 1; the agent restarts it (restartCount 1, 2, ...).
        var container = TestCluster.Shell("echo one; echo two; echo run-$$; exit 1");
        await test.Client.CreateNamespacedPodAsync(Pod("talker", container, restartPolicy: "OnFailure"), TestCluster.Namespace);
        await TestCluster.WaitAsync(async () => (await test.PodAsync("talker"))?.Status?.ContainerStatuses?.FirstOrDefault()?.RestartCount >= 1, "a restart");

        using var current = await test.Client.CoreV1.ReadNamespacedPodLogAsync("talker", TestCluster.Namespace);
        var text = await new StreamReader(current).ReadToEndAsync();
        Assert.StartsWith("one\ntwo\nrun-", text, StringComparison.Ordinal);
        using var tail = await test.Client.CoreV1.ReadNamespacedPodLogAsync("talker", TestCluster.Namespace, tailLines: 1, previous: true);
        var previous = await new StreamReader(tail).ReadToEndAsync();
        Assert.StartsWith("run-", previous, StringComparison.Ordinal);
        Assert.DoesNotContain("two", previous, StringComparison.Ordinal);

        var missing = await Assert.ThrowsAsync<k8s.Autorest.HttpOperationException>(() =>
            test.Client.CoreV1.ReadNamespacedPodLogAsync("talker", TestCluster.Namespace, container: "sidecar"));
        Assert.Equal(System.Net.HttpStatusCode.BadRequest, missing.Response.StatusCode);
    }

    [Fact]
    public async Task CrashingContainerIsRestartedWithBackoffAndReportsItsLastExit()
    {
        await using var test = await TestCluster.StartAsync();
        await test.Client.CreateNamespacedPodAsync(Pod("crash", TestCluster.Shell("echo run; exit 7")), TestCluster.Namespace);
        V1ContainerStatus? status = null;
        await TestCluster.WaitAsync(async () => (status = (await test.PodAsync("crash"))?.Status?.ContainerStatuses?.FirstOrDefault())?.RestartCount >= 2,
            "two restarts");
        Assert.Equal(7, status!.LastState.Terminated.ExitCode);
        Assert.Equal("Error", status.LastState.Terminated.Reason);
        Assert.True(status.State.Running is not null || !status.Ready, "a container that is not running is never ready");
        var pod = await test.PodAsync("crash");
        var logs = Path.Combine(test.Cluster.Layout.PodLogDirectory(TestCluster.Namespace, "crash", pod!.Metadata.Uid), "main");
        Assert.True(File.Exists(Path.Combine(logs, "0.log")) && File.Exists(Path.Combine(logs, "1.log")), "one log per run");
        Assert.Equal("run", File.ReadAllText(Path.Combine(logs, "0.log")).Trim());
    }

    [Fact]
    public async Task RestartPolicyNeverLeavesAFailedPodAndOnFailureRetriesUntilSuccess()
    {
        await using var test = await TestCluster.StartAsync();
        await test.Client.CreateNamespacedPodAsync(Pod("never", TestCluster.Shell("exit 2"), restartPolicy: "Never"), TestCluster.Namespace);
        var onFailure = TestCluster.Shell("n=$(cat /state/n 2>/dev/null || echo 0); echo $((n+1)) > /state/n; [ $n -ge 1 ]");
        onFailure.VolumeMounts = [new V1VolumeMount { Name = "state", MountPath = "/state" }];
        await test.Client.CreateNamespacedPodAsync(Pod("onfailure", onFailure, restartPolicy: "OnFailure", volumes: [EmptyDir("state")]), TestCluster.Namespace);

        await TestCluster.WaitAsync(async () => (await test.PodAsync("never"))?.Status?.Phase == "Failed", "pod never to fail");
        var never = (await test.PodAsync("never"))!;
        Assert.Equal(0, never.Status.ContainerStatuses[0].RestartCount);
        Assert.Equal(2, never.Status.ContainerStatuses[0].State.Terminated.ExitCode);
        Assert.DoesNotContain("nestor.dev/local-node", never.Metadata.Finalizers ?? []);

        await TestCluster.WaitAsync(async () => (await test.PodAsync("onfailure"))?.Status?.Phase == "Succeeded", "pod onfailure to succeed");
        Assert.Equal(1, (await test.PodAsync("onfailure"))!.Status.ContainerStatuses[0].RestartCount);
    }

    [Fact]
    public async Task FailingLivenessProbeRestartsTheContainer()
    {
        await using var test = await TestCluster.StartAsync();
        var container = TestCluster.Shell("exec sleep 300");
        container.LivenessProbe = new V1Probe { TcpSocket = new V1TCPSocketAction { Port = 9 }, PeriodSeconds = 1, FailureThreshold = 1 };
        await test.Client.CreateNamespacedPodAsync(Pod("unhealthy", container, grace: 1), TestCluster.Namespace);
        V1ContainerStatus? status = null;
        await TestCluster.WaitAsync(async () => (status = (await test.PodAsync("unhealthy"))?.Status?.ContainerStatuses?.FirstOrDefault())?.RestartCount >= 1,
            "a restart after the liveness failure");
        Assert.Contains("liveness probe failed", status!.LastState.Terminated.Message, StringComparison.Ordinal);
        Assert.Equal(143, status.LastState.Terminated.ExitCode); // SIGTERM, as kubelet sends first
    }

    [Fact]
    public async Task ConfigMapVolumeDownwardApiAndVariableExpansionReachTheProcess()
    {
        await using var test = await TestCluster.StartAsync();
        await test.Client.CreateNamespacedConfigMapAsync(new V1ConfigMap
        {
            Metadata = new V1ObjectMeta { Name = "settings" },
            Data = new Dictionary<string, string> { ["greeting"] = "hello" },
        }, TestCluster.Namespace);
        var container = TestCluster.Shell("printf '%s %s %s %s %s' \"$(cat /etc/app/greeting)\" \"$NAME\" \"$NS\" \"$IP\" \"$GREETING_TWICE\" > /dev/termination-log; " +
            "touch /etc/app/x 2>/dev/null && echo writable >> /dev/termination-log; exit 0");
        container.Env =
        [
            TestCluster.FieldEnv("NAME", "metadata.name"),
            TestCluster.FieldEnv("NS", "metadata.namespace"),
            TestCluster.FieldEnv("IP", "status.podIP"),
            new V1EnvVar { Name = "G", Value = "hi" },
            new V1EnvVar { Name = "GREETING_TWICE", Value = "$(G)$(G)-$$(G)" },
        ];
        container.VolumeMounts = [new V1VolumeMount { Name = "config", MountPath = "/etc/app" }];
        var volumes = new List<V1Volume> { new() { Name = "config", ConfigMap = new V1ConfigMapVolumeSource { Name = "settings" } } };
        await test.Client.CreateNamespacedPodAsync(Pod("env", container, restartPolicy: "Never", volumes: volumes), TestCluster.Namespace);

        await TestCluster.WaitAsync(async () => (await test.PodAsync("env"))?.Status?.Phase == "Succeeded", "pod env to finish");
        var pod = (await test.PodAsync("env"))!;
        var message = pod.Status.ContainerStatuses[0].State.Terminated.Message;
        Assert.StartsWith($"hello env default {pod.Status.PodIP} hihi-$(G)", message, StringComparison.Ordinal);
        if (HostTools.CanEnforceReadOnlyMounts)
        {
            Assert.DoesNotContain("writable", message, StringComparison.Ordinal); // configMap volumes are read-only
        }
    }

    [Fact]
    public async Task UnknownImageWaitsWithAClearReason()
    {
        await using var test = await TestCluster.StartAsync();
        await test.Client.CreateNamespacedPodAsync(Pod("noimage", new V1Container { Name = "x", Image = "registry.example/nothing:1" }), TestCluster.Namespace);
        V1ContainerStateWaiting? waiting = null;
        await TestCluster.WaitAsync(async () => (waiting = (await test.PodAsync("noimage"))?.Status?.ContainerStatuses?.FirstOrDefault()?.State?.Waiting)?.Reason == "ErrImageNeverPull",
            "the ErrImageNeverPull reason");
        Assert.Contains("registry.example/nothing:1", waiting!.Message, StringComparison.Ordinal);
        Assert.Equal("Pending", (await test.PodAsync("noimage"))!.Status.Phase);
    }

    [Fact]
    public async Task ReadOnlyClaimMountIsReadOnlyWhenTheHostAllowsIt()
    {
        await using var test = await TestCluster.StartAsync();
        await test.Client.CreateNamespacedPersistentVolumeClaimAsync(new V1PersistentVolumeClaim
        {
            Metadata = new V1ObjectMeta { Name = "weights" },
            Spec = new V1PersistentVolumeClaimSpec
            {
                AccessModes = ["ReadWriteOnce"],
                Resources = new V1VolumeResourceRequirements { Requests = new Dictionary<string, ResourceQuantity> { ["storage"] = new("1Mi") } },
            },
        }, TestCluster.Namespace);
        var container = TestCluster.Shell("if touch /weights/x 2>/dev/null; then echo writable; else echo read-only; fi > /dev/termination-log; " +
            "touch /scratch/y && echo scratch-ok >> /dev/termination-log");
        container.VolumeMounts =
        [
            new V1VolumeMount { Name = "weights", MountPath = "/weights", ReadOnlyProperty = true },
            new V1VolumeMount { Name = "scratch", MountPath = "/scratch" },
        ];
        var volumes = new List<V1Volume>
        {
            new() { Name = "weights", PersistentVolumeClaim = new V1PersistentVolumeClaimVolumeSource { ClaimName = "weights" } },
            EmptyDir("scratch"),
        };
        await test.Client.CreateNamespacedPodAsync(Pod("reader", container, restartPolicy: "Never", volumes: volumes), TestCluster.Namespace);

        await TestCluster.WaitAsync(async () => (await test.PodAsync("reader"))?.Status?.Phase == "Succeeded", "pod reader to finish");
        var message = (await test.PodAsync("reader"))!.Status.ContainerStatuses[0].State.Terminated.Message;
        Assert.Equal(HostTools.CanEnforceReadOnlyMounts ? "read-only\nscratch-ok" : "writable\nscratch-ok", message.Trim());
    }

    [Fact]
    public async Task ImageAppPathsMapToTheImageFolderAndPodsGetTheKubeconfig()
    {
        var folder = Directory.CreateTempSubdirectory("nestor-local-image-");
        try
        {
            var script = Path.Combine(folder.FullName, "tool.sh");
            File.WriteAllText(script, "#!/bin/sh\nprintf '%s|%s|%s' \"$(cat \"$1\")\" \"$KUBECONFIG\" \"$(pwd)\" > \"$2\"\n");
            if (!OperatingSystem.IsWindows())
            {
                File.SetUnixFileMode(script, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            }
            File.WriteAllText(Path.Combine(folder.FullName, "data.txt"), "payload");
            await using var test = await TestCluster.StartAsync();
            test.Cluster.Images.Add("tool", new LocalImage(folder.FullName, ["/app/tool.sh"], ["/app/data.txt", "/dev/termination-log"]) { AppPath = "/app" });
            await test.Client.CreateNamespacedPodAsync(Pod("tool", new V1Container { Name = "t", Image = "example.org/tool:1" }, restartPolicy: "Never"), TestCluster.Namespace);

            await TestCluster.WaitAsync(async () => (await test.PodAsync("tool"))?.Status?.Phase is "Succeeded" or "Failed", "pod tool to finish");
            var pod = (await test.PodAsync("tool"))!;
            Assert.Equal("Succeeded", pod.Status.Phase);
            var parts = pod.Status.ContainerStatuses[0].State.Terminated.Message.Split('|');
            Assert.Equal("payload", parts[0]);
            Assert.Equal(test.Cluster.KubeconfigPath, parts[1]);
            Assert.StartsWith(test.Cluster.Layout.PodDirectory(TestCluster.Namespace, "tool", pod.Metadata.Uid), parts[2], StringComparison.Ordinal);
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }
}
