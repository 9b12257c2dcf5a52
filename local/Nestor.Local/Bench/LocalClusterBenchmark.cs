using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using k8s;
using k8s.Models;
using Nestor.Local.Cluster;
using Nestor.Local.Node;
using Nestor.Local.Node.Images;

namespace Nestor.Local.Bench;

/// <summary>
/// Times the local control plane end to end with real processes: cluster start, a Deployment's
/// pods from creation to Ready, a rolling update, a Job of short pods to Complete, and the stop of
/// every process. Prints one line per figure, then the figures as one JSON line.
/// </summary>
public static class LocalClusterBenchmark
{
    public static async Task<int> RunAsync(int replicas, int completions, TextWriter output, CancellationToken cancellationToken)
    {
        var figures = new Dictionary<string, double>();
        var data = Directory.CreateTempSubdirectory("nestor-local-bench-");
        try
        {
            var clock = Stopwatch.StartNew();
            var cluster = await LocalCluster.StartAsync(new LocalClusterOptions
            {
                DataDirectory = data.FullName,
                Images = new ImageMap().Add("busybox", LocalImage.Host("sh")),
                Node = new NodeAgentOptions { ShutdownGracePeriod = TimeSpan.FromSeconds(5) },
            }, cancellationToken);
            Record(figures, output, "cluster_start_seconds", clock);
            using var client = new Kubernetes(cluster.ClientConfiguration());
            try
            {
                var deployment = Deployment(replicas, "1");
                clock.Restart();
                await client.CreateNamespacedDeploymentAsync(deployment, "default", cancellationToken: cancellationToken);
                await UntilAsync(async () => (await client.ReadNamespacedDeploymentAsync("bench", "default", cancellationToken: cancellationToken)).Status is { } s
                    && s.ReadyReplicas == replicas && s.UpdatedReplicas == replicas && s.Replicas == replicas, cancellationToken);
                Record(figures, output, $"deployment_{replicas}_pods_ready_seconds", clock);

                clock.Restart();
                var patch = new V1Patch("{\"spec\":{\"template\":{\"metadata\":{\"annotations\":{\"bench/version\":\"2\"}}}}}", V1Patch.PatchType.MergePatch);
                await client.PatchNamespacedDeploymentAsync(patch, "bench", "default", cancellationToken: cancellationToken);
                await UntilAsync(async () =>
                {
                    var s = (await client.ReadNamespacedDeploymentAsync("bench", "default", cancellationToken: cancellationToken)).Status;
                    var pods = await client.ListNamespacedPodAsync("default", labelSelector: "app=bench", cancellationToken: cancellationToken);
                    return s is { } st && st.UpdatedReplicas == replicas && st.ReadyReplicas == replicas && pods.Items.Count == replicas
                        && pods.Items.All(p => p.Metadata.Annotations?.ContainsKey("bench/version") == true);
                }, cancellationToken);
                Record(figures, output, $"rolling_update_{replicas}_pods_seconds", clock);

                clock.Restart();
                await client.CreateNamespacedJobAsync(Job(completions), "default", cancellationToken: cancellationToken);
                await UntilAsync(async () => (await client.ReadNamespacedJobAsync("bench", "default", cancellationToken: cancellationToken)).Status?.Conditions?
                    .Any(c => c.Type == "Complete" && c.Status == "True") == true, cancellationToken);
                Record(figures, output, $"job_{completions}_completions_seconds", clock);
            }
            finally
            {
                clock.Restart();
                await cluster.StopAsync();
                Record(figures, output, "stop_seconds", clock);
            }

            output.WriteLine(JsonSerializer.Serialize(new { benchmark = "local-cluster", replicas, completions, figures }));
            return 0;
        }
        finally
        {
            data.Delete(recursive: true);
        }
    }

    private static void Record(Dictionary<string, double> figures, TextWriter output, string name, Stopwatch clock)
    {
        var seconds = Math.Round(clock.Elapsed.TotalSeconds, 3);
        figures[name] = seconds;
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{name,-40} {seconds,8:0.000}"));
    }

    private static async Task UntilAsync(Func<Task<bool>> condition, CancellationToken cancellationToken)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromMinutes(2);
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException("the benchmark step did not finish within 2 minutes");
            }

            await Task.Delay(20, cancellationToken);
        }
    }

    private static V1Deployment Deployment(int replicas, string version) => new()
    {
        Metadata = new V1ObjectMeta { Name = "bench" },
        Spec = new V1DeploymentSpec
        {
            Replicas = replicas,
            Selector = new V1LabelSelector { MatchLabels = new Dictionary<string, string> { ["app"] = "bench" } },
            Template = new V1PodTemplateSpec
            {
                Metadata = new V1ObjectMeta { Labels = new Dictionary<string, string> { ["app"] = "bench" }, Annotations = new Dictionary<string, string> { ["bench/start"] = version } },
                Spec = new V1PodSpec
                {
                    TerminationGracePeriodSeconds = 5,
                    Containers = [new V1Container { Name = "c", Image = "busybox", Command = ["sh", "-c", "exec sleep 600"] }],
                },
            },
        },
    };

    private static V1Job Job(int completions) => new()
    {
        Metadata = new V1ObjectMeta { Name = "bench" },
        Spec = new V1JobSpec
        {
            Completions = completions,
            Parallelism = Math.Max(1, completions / 2),
            CompletionMode = "Indexed",
            Template = new V1PodTemplateSpec
            {
                Spec = new V1PodSpec { RestartPolicy = "Never", Containers = [new V1Container { Name = "c", Image = "busybox", Command = ["sh", "-c", "echo $JOB_COMPLETION_INDEX > /dev/termination-log"] }] },
            },
        },
    };
}
