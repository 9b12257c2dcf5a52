using System.Diagnostics;
using System.Text.Json.Nodes;
using k8s.Models;
using Microsoft.Extensions.Logging;
using Nestor.Api.V1Alpha1;
using Nestor.Local.Cluster;
using Nestor.Local.Controllers.Volumes;
using Nestor.Local.Node.Images;
using Nestor.Operator.Core.Kube;
using Nestor.Operator.Hosting;

namespace Nestor.Quickstart;

/// <summary>
/// The quickstart on one machine: a local cluster, the operator, examples/quickstart applied; then it
/// follows the CompressionRun to a checkpoint, the tiers to Ready, asks every tier, bursts one tier and
/// sees it scale up and down. Every step is recorded in the <see cref="ScenarioReport"/>.
/// </summary>
public sealed class QuickstartScenario(QuickstartOptions options, ILoggerFactory loggerFactory)
{
    private static readonly ResourceType Claims = ResourceType.For<V1PersistentVolumeClaim>();
    private static readonly ResourceType Runs = ResourceType.For<CompressionRun>();
    private static readonly ResourceType Models = ResourceType.For<ElasticModel>();
    private static readonly ResourceType Tiers = ResourceType.For<BudgetTier>();
    private static readonly ResourceType Services = ResourceType.For<V1Service>();

    public ScenarioReport Report { get; } = new();

    /// <summary>Runs the scripted scenario; then, unless RunOnce, keeps everything up until cancelled. Returns the exit code.</summary>
    public async Task<int> RunAsync(CancellationToken cancellationToken)
    {
        PrepareDataDirectory();
        var log = loggerFactory.CreateLogger<QuickstartScenario>();
        await using var cluster = await LocalCluster.StartAsync(new LocalClusterOptions
        {
            DataDirectory = options.DataDirectory,
            CrdPaths = [Path.Combine(options.RepositoryRoot, "crds")],
            Images = ImageMap.Defaults(options.RepositoryRoot, options.Configuration),
            Namespaces = options.Namespace == "default" ? [] : [options.Namespace],
            LoggerFactory = loggerFactory,
        }, cancellationToken);
        Report.Complete("cluster-started", $"API server {cluster.ApiUrl}, CRDs {string.Join(", ", cluster.Crds)}");
        Console.WriteLine($"kubeconfig: {cluster.KubeconfigPath}");
        Console.WriteLine($"  export KUBECONFIG={cluster.KubeconfigPath}; kubectl get elasticmodels,budgettiers,compressionruns,pods");

        using var stopOperator = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        await using var host = OperatorHost.Create(new OperatorOptions
        {
            Kubeconfig = cluster.KubeconfigPath,
            MetricsAddress = "127.0.0.1:0",
            LeaderElection = false,
            Namespaces = [options.Namespace],
            LogLevel = "Warning",
        });
        var operatorTask = Task.Run(() => host.RunAsync(stopOperator.Token), CancellationToken.None);
        Report.Complete("operator-started", "in-process, leader election off");

        using var api = new KubeApiClient(cluster.ClientConfiguration(), fieldManager: QuickstartManifests.FieldManager);
        using var http = new HttpClient { Timeout = TimeSpan.FromMinutes(2) };
        using var stopBoard = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var board = new StatusBoard(api, options.Namespace, Report);
        var boardTask = Task.Run(() => board.RunAsync(options.SummaryInterval, stopBoard.Token), CancellationToken.None);
        var required = ScenarioReport.Steps.Where(s => options.WaitForScaleDown || s != "scaled-down").ToList();
        try
        {
            await RunScriptAsync(cluster, api, http, log, cancellationToken);
            var missing = Report.Missing(required);
            Console.Write(await SafeRenderAsync(board, cancellationToken));
            Console.WriteLine(missing.Count == 0
                ? $"[{ScenarioReport.Format(Report.Elapsed)}] every step of the scenario happened"
                : $"[{ScenarioReport.Format(Report.Elapsed)}] missing steps: {string.Join(", ", missing)} (logs: {cluster.Layout.LogsRoot})");
            if (!options.RunOnce && !cancellationToken.IsCancellationRequested)
            {
                Console.WriteLine("serving; Ctrl-C stops everything");
                await Task.Delay(Timeout.Infinite, cancellationToken).ContinueWith(_ => { }, CancellationToken.None);
            }
        }
        finally
        {
            // The board and the operator stop before the clients and the cluster they use are disposed.
            if (cancellationToken.IsCancellationRequested)
            {
                Console.WriteLine("stopping: the operator, then every pod (SIGTERM, SIGKILL after the grace period), then the API server");
            }

            await stopBoard.CancelAsync();
            await boardTask.ContinueWith(_ => { }, CancellationToken.None);
            await stopOperator.CancelAsync();
            await operatorTask.ContinueWith(_ => { }, CancellationToken.None);
        }

        Console.WriteLine(Report.ToJson(required));
        return Report.Missing(required).Count == 0 ? 0 : 1;
    }

    private async Task RunScriptAsync(LocalCluster cluster, KubeApiClient api, HttpClient http, ILogger log, CancellationToken cancellationToken)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(options.Deadline);
        try
        {
            await ScriptAsync(cluster, api, http, deadline.Token);
        }
        catch (OperationCanceledException) when (deadline.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            log.LogError("The scenario did not finish within {Deadline}", options.Deadline);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            Console.WriteLine($"[{ScenarioReport.Format(Report.Elapsed)}] interrupted");
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            log.LogError(e, "The scenario stopped");
        }
    }

    private static async Task<string> SafeRenderAsync(StatusBoard board, CancellationToken cancellationToken)
    {
        try
        {
            return await board.RenderAsync(cancellationToken);
        }
        catch (Exception e) when (e is KubeApiException or HttpRequestException or OperationCanceledException)
        {
            return $"(summary unavailable: {e.Message}){Environment.NewLine}";
        }
    }

    private async Task ScriptAsync(LocalCluster cluster, KubeApiClient api, HttpClient http, CancellationToken cancellationToken)
    {
        var ns = options.Namespace;
        var objects = QuickstartManifests.Load(Path.Combine(options.RepositoryRoot, "examples", "quickstart"));
        foreach (var obj in objects)
        {
            QuickstartManifests.Override(obj, options);
        }

        // The weight volume first: the shipped teacher must be on it before the run starts.
        foreach (var claim in objects.Where(o => QuickstartManifests.Kind(o) == "PersistentVolumeClaim"))
        {
            await QuickstartManifests.ApplyAsync(api, claim, ns, cancellationToken);
            var directory = await WaitForAsync("the weight volume to be bound", async () =>
            {
                var bound = await api.GetAsync<V1PersistentVolumeClaim>(Claims, ns, QuickstartManifests.Name(claim), cancellationToken);
                return bound?.Status?.Phase == "Bound" && bound.Metadata.Annotations?.TryGetValue(ClaimBinder.LocalPathAnnotation, out var path) == true ? path : null;
            }, cancellationToken);
            var teacher = Path.Combine(options.RepositoryRoot, "models", "tiny-teacher");
            CopyDirectory(teacher, Path.Combine(directory, "models", "tiny-teacher"));
            Report.Complete("teacher-on-volume", $"{teacher} → {directory}/models/tiny-teacher");
        }

        var applied = Stopwatch.StartNew();
        foreach (var obj in objects.Where(o => QuickstartManifests.Kind(o) != "PersistentVolumeClaim"))
        {
            await QuickstartManifests.ApplyAsync(api, obj, ns, cancellationToken);
        }

        var runName = objects.First(o => QuickstartManifests.Kind(o) == CompressionRun.KubeKind) is var r ? QuickstartManifests.Name(r) : "";
        var modelName = QuickstartManifests.Name(objects.First(o => QuickstartManifests.Kind(o) == ElasticModel.KubeKind));
        var tierNames = objects.Where(o => QuickstartManifests.Kind(o) == BudgetTier.KubeKind).Select(QuickstartManifests.Name).ToList();
        Report.Complete("manifests-applied", $"CompressionRun {runName}, ElasticModel {modelName}, BudgetTiers {string.Join(", ", tierNames)}");

        var result = await WaitForAsync("the CompressionRun to succeed", async () =>
        {
            var run = await api.GetAsync<CompressionRun>(Runs, ns, runName, cancellationToken);
            return run?.Status?.Phase switch
            {
                CompressionRunPhase.Succeeded => run.Status.Result,
                CompressionRunPhase.Failed => throw new InvalidOperationException($"the CompressionRun failed: {Message(run.Status.Conditions)}"),
                _ => null,
            };
        }, cancellationToken);
        Report.Complete("training-succeeded", $"digest {result.Digest}, {Accuracy(result)}");
        AddAccuracy(result);

        await WaitForAsync("the ElasticModel to take the new checkpoint", async () =>
        {
            var model = await api.GetAsync<ElasticModel>(Models, ns, modelName, cancellationToken);
            return model?.Status?.Checkpoint?.Digest == result.Digest ? model : null;
        }, cancellationToken);
        Report.Complete("model-has-checkpoint", result.Digest);

        var tiers = await WaitForAsync("every tier to be Ready on the new checkpoint", async () =>
        {
            var list = new List<BudgetTier>();
            foreach (var name in tierNames)
            {
                var tier = await api.GetAsync<BudgetTier>(Tiers, ns, name, cancellationToken);
                if (tier?.Status is not { } s || s.CheckpointDigest != result.Digest || (s.ReadyReplicas ?? 0) < 1
                    || s.Conditions?.Any(c => c.Type == BudgetTierConditions.Ready && c.Status == "True") != true)
                {
                    return null;
                }

                list.Add(tier);
            }

            return list;
        }, cancellationToken);
        Report.Figures["apply_to_all_tiers_serving_s"] = Math.Round(applied.Elapsed.TotalSeconds, 1);
        Report.Complete("tiers-ready", $"{tiers.Count} tiers, {applied.Elapsed.TotalSeconds:0} s from apply to every tier serving the new checkpoint");

        var clients = new Dictionary<string, (TierClient Client, string Model)>(StringComparer.Ordinal);
        foreach (var tier in tiers)
        {
            var client = await ClientForAsync(cluster, api, http, tier, cancellationToken);
            var models = await client.ModelsAsync(cancellationToken);
            var model = models.FirstOrDefault(m => m.EndsWith("@" + tier.Spec.Budget, StringComparison.Ordinal)) ?? models.FirstOrDefault()
                ?? throw new InvalidDataException($"tier {tier.Metadata.Name} serves no model");
            // A question of the built-in task (arith-chains); the worked answer is " b=17+5=22;c=22-9=13;#13".
            const string question = "a=17;b=a+5;c=b-9;c?";
            var (text, tokens) = await client.CompleteAsync(model, question, 32, cancellationToken);
            Console.WriteLine($"  {tier.Metadata.Name} ({model}): \"{question}\" → \"{text.ReplaceLineEndings(" ")}\" ({tokens} tokens; expected \" b=17+5=22;c=22-9=13;#13\")");
            clients[tier.Metadata.Name] = (client, model);
        }

        Report.Complete("tiers-answered", string.Join(", ", clients.Select(c => $"{c.Key} as {c.Value.Model}")));

        await BurstAsync(api, clients[options.BurstTier], cancellationToken);
    }

    private async Task BurstAsync(KubeApiClient api, (TierClient Client, string Model) target, CancellationToken cancellationToken)
    {
        var ns = options.Namespace;
        var before = await api.GetAsync<BudgetTier>(Tiers, ns, options.BurstTier, cancellationToken)
            ?? throw new InvalidOperationException($"tier {options.BurstTier} is gone");
        var start = before.Status?.DesiredReplicas ?? before.Spec.MinReplicas;
        Console.WriteLine($"  burst: {options.BurstConcurrency} clients on {options.BurstTier} ({target.Model}), {start} replica(s)");
        using var stopBurst = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        stopBurst.CancelAfter(options.BurstDuration);
        var burst = new LoadBurst(target.Client, target.Model, options.BurstConcurrency, options.BurstMaxTokens);
        var burstTask = burst.RunAsync(stopBurst.Token);
        var clock = Stopwatch.StartNew();
        try
        {
            var up = await WaitForAsync("the burst tier to scale up", async () =>
            {
                var tier = await api.GetAsync<BudgetTier>(Tiers, ns, options.BurstTier, cancellationToken);
                return tier?.Status?.DesiredReplicas > start ? tier : null;
            }, stopBurst.Token);
            Report.Figures["burst_to_scale_up_decision_s"] = Math.Round(clock.Elapsed.TotalSeconds, 1);
            Report.Complete("scaled-up", $"desired {start} → {up.Status!.DesiredReplicas} after {clock.Elapsed.TotalSeconds:0.0} s: {up.Status.LastScaleReason}");
            await WaitForAsync("the new replicas to be ready", async () =>
            {
                var tier = await api.GetAsync<BudgetTier>(Tiers, ns, options.BurstTier, cancellationToken);
                return tier?.Status?.ReadyReplicas >= up.Status.DesiredReplicas ? tier : null;
            }, stopBurst.Token);
        }
        catch (OperationCanceledException) when (stopBurst.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
        }
        finally
        {
            await stopBurst.CancelAsync();
            await burstTask;
        }

        Report.Figures["burst_completed"] = burst.Completed;
        Report.Figures["burst_rejected"] = burst.Rejected;
        Report.Figures["burst_failed"] = burst.Failed;
        Report.Figures["burst_e2e_p95_ms"] = burst.P95Ms();
        Console.WriteLine($"  burst over: {burst.Completed} completed, {burst.Rejected} rejected (429/503), {burst.Failed} failed, e2e p95 {burst.P95Ms()} ms");
        if (!Report.IsComplete("scaled-up") || !options.WaitForScaleDown)
        {
            return;
        }

        var min = before.Spec.MinReplicas;
        var down = await WaitForAsync("the burst tier to scale back down", async () =>
        {
            var tier = await api.GetAsync<BudgetTier>(Tiers, ns, options.BurstTier, cancellationToken);
            return tier?.Status?.DesiredReplicas <= min ? tier : null;
        }, cancellationToken);
        Report.Complete("scaled-down", $"desired → {down.Status!.DesiredReplicas}: {down.Status.LastScaleReason}");
    }

    private static async Task<TierClient> ClientForAsync(LocalCluster cluster, KubeApiClient api, HttpClient http, BudgetTier tier, CancellationToken cancellationToken)
    {
        var ns = tier.Metadata.NamespaceProperty;
        var name = tier.Metadata.Name;
        var service = await api.GetAsync<V1Service>(Services, ns, name, cancellationToken)
            ?? throw new InvalidOperationException($"tier {name} has no Service");
        var address = cluster.ServiceAddress(ns, name) ?? throw new InvalidOperationException($"Service {name} has no local address");
        var port = service.Spec.Ports?.FirstOrDefault()?.Port ?? throw new InvalidOperationException($"Service {name} has no port");
        return new TierClient(http, new Uri($"http://{address}:{port}/"));
    }

    private void AddAccuracy(CompressionResult result)
    {
        var accuracy = new JsonObject();
        foreach (var (budget, eval) in result.Evaluation ?? new Dictionary<string, BudgetEvaluation>())
        {
            accuracy[budget] = eval.Accuracy;
        }

        Report.Figures["accuracy_by_budget"] = accuracy;
    }

    private static string Accuracy(CompressionResult result) =>
        result.Evaluation is { Count: > 0 } eval
            ? "accuracy " + string.Join(", ", eval.Select(e => $"{e.Key} {(e.Value.Accuracy is { } a ? $"{a * 100:0.0}%" : "-")}"))
            : "no evaluation";

    private static string Message(IList<V1Condition>? conditions) =>
        conditions?.FirstOrDefault(c => c.Status == "False" || c.Reason?.Contains("Fail", StringComparison.Ordinal) == true)?.Message ?? "no message";

    private static async Task<T> WaitForAsync<T>(string what, Func<Task<T?>> probe, CancellationToken cancellationToken)
        where T : class
    {
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            try
            {
                if (await probe() is { } value)
                {
                    return value;
                }
            }
            catch (KubeApiException e) when ((int)e.StatusCode >= 500)
            {
                // The local API server is in-process; a 5xx here is transient.
            }

            try
            {
                await Task.Delay(500, cancellationToken);
            }
            catch (OperationCanceledException)
            {
                throw new OperationCanceledException($"gave up waiting for {what}", null, cancellationToken);
            }
        }
    }

    private void PrepareDataDirectory()
    {
        if (Directory.Exists(options.DataDirectory))
        {
            Directory.Delete(options.DataDirectory, recursive: true);
        }

        Directory.CreateDirectory(options.DataDirectory);
    }

    private static void CopyDirectory(string from, string to)
    {
        if (!File.Exists(Path.Combine(from, "config.json")))
        {
            throw new FileNotFoundException($"the shipped teacher checkpoint is missing: {from}/config.json");
        }

        Directory.CreateDirectory(to);
        foreach (var file in Directory.EnumerateFiles(from, "*", SearchOption.AllDirectories))
        {
            var target = Path.Combine(to, Path.GetRelativePath(from, file));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target, overwrite: true);
        }
    }
}
