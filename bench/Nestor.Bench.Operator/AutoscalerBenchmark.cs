using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text.Json;
using k8s;
using k8s.Models;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Nestor.Api;
using Nestor.Api.V1Alpha1;
using Nestor.ApiServer;
using Nestor.Operator.Controllers;
using Nestor.Operator.Controllers.Shared;
using Nestor.Operator.Core.Hosting;
using Nestor.Operator.Core.Kube;
using Nestor.Testing;
using Prometheus;

namespace Nestor.Bench.Operator;

/// <summary>
/// `bench-operator autoscaler`: the real controllers against the local API server and a real HTTP
/// /metrics endpoint (prometheus-net on loopback, the runtime's metric names). Measures the time from a
/// load step (1 running → 40 waiting + 8 running, target 8 per replica) to status.desiredReplicas moving,
/// over N trials with the default scale-up settings (sync every 1 s, no up-stabilisation), and the API
/// writes of a steady tier. Between trials the load drops to 0 and the tier returns to 1 replica
/// (scale-down stabilisation is set to 0 for that, which does not affect scale-up).
/// </summary>
public static class AutoscalerBenchmark
{
    private const string Ns = "bench";

    public static async Task<int> RunAsync(string[] args)
    {
        var trials = Arg(args, "--trials", 10);
        var steadySeconds = Arg(args, "--steady-seconds", 10);

        await using var server = await LocalApiServer.StartAsync(new LocalApiServerOptions { Namespaces = [Ns] });
        using var api = new KubeApiClient(server.ClientConfiguration());
        foreach (var file in Directory.GetFiles(RepoPaths.Combine("crds"), "*.yaml"))
        {
            await api.CreateAsync(ResourceType.For<V1CustomResourceDefinition>(), KubernetesYaml.Deserialize<V1CustomResourceDefinition>(await File.ReadAllTextAsync(file)), default);
        }

        var metricsBuilder = WebApplication.CreateSlimBuilder();
        metricsBuilder.Logging.ClearProviders();
        metricsBuilder.WebHost.UseKestrel(o => o.Listen(IPAddress.Loopback, 0));
        await using var endpoint = metricsBuilder.Build();
        var registry = Metrics.NewCustomRegistry();
        var factory = Metrics.WithCustomRegistry(registry);
        var waiting = factory.CreateGauge("nestor_requests_waiting", "Requests waiting.", "budget");
        var running = factory.CreateGauge("nestor_requests_running", "Requests running.", "budget");
        endpoint.MapMetrics("/metrics", registry);
        await endpoint.StartAsync();
        var port = new Uri(endpoint.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First()).Port;
        waiting.WithLabels("full").Set(0);
        running.WithLabels("full").Set(1);

        var operatorMetrics = new Nestor.Operator.Core.Metrics.OperatorMetrics(Metrics.NewCustomRegistry());
        using var operatorApi = new KubeApiClient(server.ClientConfiguration(), operatorMetrics);
        var manager = new Manager(operatorApi, new ManagerOptions { LeaderElection = new() { Enabled = false } }, NullLoggerFactory.Instance, operatorMetrics);
        using var controllers = NestorControllers.Register(manager, new ControllerSettings(), operatorMetrics.Registry, NullLoggerFactory.Instance);
        using var stop = new CancellationTokenSource();
        var run = manager.RunAsync(stop.Token);

        await PrepareTierAsync(api, port);
        var tierType = ResourceType.For<BudgetTier>();
        async Task<int?> Desired() => (await api.GetAsync<BudgetTier>(tierType, Ns, "tiny-auto", default))?.Status?.DesiredReplicas;
        await WaitAsync(async () => await Desired() == 1 && (await api.GetAsync<BudgetTier>(tierType, Ns, "tiny-auto", default))?.Status?.Metrics?.PodsSampled == 1);

        await Task.Delay(1500);
        server.Requests.Reset();
        await Task.Delay(TimeSpan.FromSeconds(steadySeconds));
        var steadyWrites = server.Requests.Writes;
        Console.WriteLine($"steady tier: {steadyWrites} API writes in {steadySeconds} s");

        var latencies = new List<double>();
        for (var trial = 1; trial <= trials; trial++)
        {
            // Start each step at a random point of the 1 s sync period.
            await Task.Delay(Random.Shared.Next(0, 1000));
            var clock = Stopwatch.StartNew();
            waiting.WithLabels("full").Set(40);
            running.WithLabels("full").Set(8);
            while (await Desired() is not > 1)
            {
                await Task.Delay(5);
            }

            latencies.Add(clock.Elapsed.TotalMilliseconds);
            Console.WriteLine($"trial {trial}: load step to scale-up decision {clock.Elapsed.TotalMilliseconds:0} ms (desired {await Desired()})");
            waiting.WithLabels("full").Set(0);
            running.WithLabels("full").Set(1);
            await WaitAsync(async () => await Desired() == 1, TimeSpan.FromSeconds(30));
        }

        await stop.CancelAsync();
        try
        {
            await run.WaitAsync(TimeSpan.FromSeconds(10));
        }
        catch (Exception e) when (e is OperationCanceledException or TimeoutException)
        {
        }

        latencies.Sort();
        Console.WriteLine(JsonSerializer.Serialize(new
        {
            bench = "autoscaler",
            trials,
            scaleUpMsP50 = Math.Round(latencies[latencies.Count / 2]),
            scaleUpMsMax = Math.Round(latencies[^1]),
            scaleUpMsMin = Math.Round(latencies[0]),
            steadySeconds,
            steadyWrites,
        }));
        return 0;
    }

    /// <summary>A ready model (its loader played to success), an autoscaled tier, its Deployment rolled out and one ready pod whose /metrics is the endpoint.</summary>
    private static async Task PrepareTierAsync(KubeApiClient api, int port)
    {
        await api.CreateAsync(ResourceType.For<ElasticModel>(), new ElasticModel
        {
            Metadata = new V1ObjectMeta { Name = "tiny", NamespaceProperty = Ns },
            Spec = new ElasticModelSpec
            {
                Source = new ModelSource { Checkpoint = new CheckpointLocation { Path = "imports/tiny" } },
                WeightVolume = new WeightVolume { ClaimTemplate = new ClaimTemplate { Size = new ResourceQuantity("1Gi") } },
            },
        }, default);
        string? jobName = null;
        await WaitAsync(async () => (jobName = (await api.GetAsync<ElasticModel>(ResourceType.For<ElasticModel>(), Ns, "tiny", default))?.Status?.LoaderJobName) is not null);
        var job = (await api.GetAsync<V1Job>(ResourceType.For<V1Job>(), Ns, jobName!, default))!;
        var digest = "sha256:" + new string('a', 64);
        var result = JsonSerializer.Serialize(new { path = "checkpoints/tiny/sha256-" + new string('a', 64), digest, budgets = new[] { new { name = "full", @params = 1000, bytes = 4000 } } });
        var loaderPod = await api.CreateAsync(ResourceType.For<V1Pod>(), new V1Pod
        {
            Metadata = new V1ObjectMeta { Name = jobName + "-pod", NamespaceProperty = Ns, Labels = new Dictionary<string, string> { ["job-name"] = jobName! } },
            Spec = job.Spec.Template.Spec,
        }, default);
        await Status<V1Pod>(api, loaderPod.Metadata.Name, new { status = new { phase = "Succeeded", containerStatuses = new[] { new { name = "loader", image = "x", imageID = "", ready = false, restartCount = 0, state = new { terminated = new { exitCode = 0, message = result } } } } } });
        await Status<V1Job>(api, jobName!, new { status = new { succeeded = 1, conditions = new[] { new { type = "Complete", status = "True" } } } });

        await api.CreateAsync(ResourceType.For<BudgetTier>(), new BudgetTier
        {
            Metadata = new V1ObjectMeta { Name = "tiny-auto", NamespaceProperty = Ns },
            Spec = new BudgetTierSpec
            {
                ModelRef = new NameReference { Name = "tiny" },
                Budget = "full",
                MaxReplicas = 8,
                Autoscaling = new AutoscalingSpec { ScaleDownStabilizationSeconds = 0, MaxScaleDownStep = 1000 },
            },
        }, default);
        V1Deployment? deployment = null;
        await WaitAsync(async () => (deployment = await api.GetAsync<V1Deployment>(ResourceType.For<V1Deployment>(), Ns, "tiny-auto", default)) is not null);
        await Status<V1Deployment>(api, "tiny-auto", new { status = new { observedGeneration = deployment!.Metadata.Generation, replicas = 1, readyReplicas = 1, updatedReplicas = 1 } });
        var spec = deployment.Spec.Template.Spec;
        spec.Containers[0].Ports = [new V1ContainerPort { Name = "http", ContainerPort = port }];
        await api.CreateAsync(ResourceType.For<V1Pod>(), new V1Pod
        {
            Metadata = new V1ObjectMeta { Name = "tiny-auto-pod", NamespaceProperty = Ns, Labels = deployment.Spec.Template.Metadata.Labels },
            Spec = spec,
        }, default);
        await Status<V1Pod>(api, "tiny-auto-pod", new
        {
            status = new
            {
                phase = "Running",
                podIP = "127.0.0.1",
                conditions = new[] { new { type = "Ready", status = "True" } },
            },
        });
    }

    private static Task<T> Status<T>(KubeApiClient api, string name, object patch)
        where T : class => api.PatchAsync<T>(ResourceType.For(typeof(T)), Ns, name, PatchKind.Merge, JsonSerializer.Serialize(patch), default, "status");

    private static async Task WaitAsync(Func<Task<bool>> condition, TimeSpan? timeout = null)
    {
        if (!await Eventually.TrueAsync(condition, timeout ?? TimeSpan.FromSeconds(20)))
        {
            throw new TimeoutException("the operator did not reach the expected state");
        }
    }

    private static int Arg(string[] args, string name, int fallback)
    {
        var i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? int.Parse(args[i + 1], CultureInfo.InvariantCulture) : fallback;
    }
}
