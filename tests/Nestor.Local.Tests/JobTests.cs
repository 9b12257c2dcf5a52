using k8s;
using k8s.Models;

namespace Nestor.Local.Tests;

/// <summary>Jobs whose pods are shell processes: completion, failure with retries, suspend, termination messages.</summary>
public sealed class JobTests
{
    private static async Task<V1Job> WaitFinishedAsync(TestCluster test, string name, string condition)
    {
        V1Job? job = null;
        await TestCluster.WaitAsync(async () =>
        {
            job = await test.Client.ReadNamespacedJobAsync(name, TestCluster.Namespace);
            return job.Status?.Conditions?.Any(c => (c.Type is "Complete" or "Failed") && c.Status == "True") == true;
        }, $"job {name} to finish");
        Assert.Contains(job!.Status.Conditions, c => c.Type == condition && c.Status == "True");
        return job;
    }

    [Fact]
    public async Task IndexedJobCompletesAndReportsEachPodsTerminationMessage()
    {
        await using var test = await TestCluster.StartAsync();
        var container = TestCluster.Shell("echo \"index $JOB_COMPLETION_INDEX of $(JOB_NAME)\" > /dev/termination-log");
        container.Env = [new V1EnvVar { Name = "JOB_NAME", Value = "indexed" }];
        await test.Client.CreateNamespacedJobAsync(TestCluster.Job("indexed", container, completions: 3, parallelism: 2, indexed: true), TestCluster.Namespace);

        var job = await WaitFinishedAsync(test, "indexed", "Complete");
        Assert.Equal(3, job.Status.Succeeded);
        Assert.Equal(0, job.Status.Failed ?? 0);
        Assert.Equal("0-2", job.Status.CompletedIndexes);
        Assert.NotNull(job.Status.CompletionTime);

        var pods = await test.PodsAsync("batch.kubernetes.io/job-name=indexed");
        Assert.Equal(3, pods.Count);
        foreach (var pod in pods)
        {
            Assert.Equal("Succeeded", pod.Status.Phase);
            var terminated = Assert.Single(pod.Status.ContainerStatuses).State.Terminated;
            Assert.Equal(0, terminated.ExitCode);
            Assert.Equal("Completed", terminated.Reason);
            var index = pod.Metadata.Annotations["batch.kubernetes.io/job-completion-index"];
            Assert.Equal($"index {index} of indexed", terminated.Message.Trim());
            Assert.DoesNotContain("nestor.dev/local-node", pod.Metadata.Finalizers ?? []);
        }
    }

    [Fact]
    public async Task FailingJobIsRetriedUpToItsBackoffLimitThenFails()
    {
        await using var test = await TestCluster.StartAsync();
        var container = TestCluster.Shell("echo attempt; echo boom >&2; exit 3");
        container.TerminationMessagePolicy = "FallbackToLogsOnError";
        await test.Client.CreateNamespacedJobAsync(TestCluster.Job("fails", container, backoffLimit: 2), TestCluster.Namespace);

        var job = await WaitFinishedAsync(test, "fails", "Failed");
        Assert.Equal("BackoffLimitExceeded", job.Status.Conditions.Single(c => c.Type == "Failed").Reason);
        Assert.Equal(3, job.Status.Failed);
        Assert.Equal(0, job.Status.Succeeded ?? 0);
        Assert.Equal(0, job.Status.Active ?? 0);

        var pods = await test.PodsAsync("batch.kubernetes.io/job-name=fails");
        Assert.Equal(3, pods.Count);
        foreach (var pod in pods)
        {
            Assert.Equal("Failed", pod.Status.Phase);
            var terminated = Assert.Single(pod.Status.ContainerStatuses).State.Terminated;
            Assert.Equal(3, terminated.ExitCode);
            Assert.Equal("Error", terminated.Reason);
            Assert.Equal("attempt\nboom", terminated.Message); // the log's tail: the file was empty and the run failed
        }
    }

    [Fact]
    public async Task PodFailureIsRetriedAndTheJobThenCompletesWithAVolumeSurvivingTheRetry()
    {
        await using var test = await TestCluster.StartAsync();
        await test.Client.CreateNamespacedPersistentVolumeClaimAsync(new V1PersistentVolumeClaim
        {
            Metadata = new V1ObjectMeta { Name = "work" },
            Spec = new V1PersistentVolumeClaimSpec
            {
                AccessModes = ["ReadWriteOnce"],
                Resources = new V1VolumeResourceRequirements { Requests = new Dictionary<string, ResourceQuantity> { ["storage"] = new("1Mi") } },
            },
        }, TestCluster.Namespace);
        var container = TestCluster.Shell("if [ -f /work/once ]; then echo second > /work/result; exit 0; fi; touch /work/once; exit 1");
        container.VolumeMounts = [new V1VolumeMount { Name = "work", MountPath = "/work" }];
        var job = TestCluster.Job("retry", container, backoffLimit: 3,
            volumes: [new V1Volume { Name = "work", PersistentVolumeClaim = new V1PersistentVolumeClaimVolumeSource { ClaimName = "work" } }]);
        await test.Client.CreateNamespacedJobAsync(job, TestCluster.Namespace);

        var done = await WaitFinishedAsync(test, "retry", "Complete");
        Assert.Equal(1, done.Status.Failed);
        Assert.Equal(1, done.Status.Succeeded);
        var claim = await test.Client.ReadNamespacedPersistentVolumeClaimAsync("work", TestCluster.Namespace);
        Assert.Equal("Bound", claim.Status.Phase);
        var directory = claim.Metadata.Annotations["nestor.dev/local-path"];
        Assert.Equal(test.Cluster.Layout.ClaimDirectory(TestCluster.Namespace, "work"), directory);
        Assert.Equal("second", File.ReadAllText(Path.Combine(directory, "result")).Trim());
    }

    [Fact]
    public async Task SuspendedJobRunsNothingUntilResumed()
    {
        await using var test = await TestCluster.StartAsync();
        var job = TestCluster.Job("later", TestCluster.Shell("exit 0"));
        job.Spec.Suspend = true;
        await test.Client.CreateNamespacedJobAsync(job, TestCluster.Namespace);
        await TestCluster.WaitAsync(async () => (await test.Client.ReadNamespacedJobAsync("later", TestCluster.Namespace)).Status?.Conditions?
            .Any(c => c.Type == "Suspended" && c.Status == "True") == true, "the Suspended condition");
        Assert.Empty(await test.PodsAsync("batch.kubernetes.io/job-name=later"));

        await test.Client.PatchNamespacedJobAsync(new V1Patch("{\"spec\":{\"suspend\":false}}", V1Patch.PatchType.MergePatch), "later", TestCluster.Namespace);
        var done = await WaitFinishedAsync(test, "later", "Complete");
        Assert.Equal(1, done.Status.Succeeded);
        Assert.Contains(done.Status.Conditions, c => c.Type == "Suspended" && c.Status == "False");
    }
}
