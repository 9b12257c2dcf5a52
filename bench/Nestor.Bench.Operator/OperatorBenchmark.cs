using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using k8s.Models;
using Microsoft.Extensions.Logging.Abstractions;
using Nestor.ApiServer;
using Nestor.Operator.Core.Kube;
using Nestor.Operator.Core.Leadership;
using Nestor.Operator.Core.Tests.Fixtures;

namespace Nestor.Bench.Operator;

/// <summary>
/// N widgets, each reconciled into one child ConfigMap and a status, by the operator core against the
/// local API server: time to reconcile all from a cold start, the operator's API requests per object
/// during that initial sync, and its API writes during a quiet steady state.
/// </summary>
public static class OperatorBenchmark
{
    public static async Task<int> RunAsync(string[] args)
    {
        var objects = Arg(args, "--objects", 1000);
        var steadySeconds = Arg(args, "--steady-seconds", 60);
        var workers = Arg(args, "--workers", 4);

        await using var server = await LocalApiServer.StartAsync(new LocalApiServerOptions { HistorySize = 50_000 });
        await WidgetOperator.InstallCrdAsync(server);
        using (var seeding = new KubeApiClient(server.ClientConfiguration()))
        {
            var type = ResourceType.For<Widget>();
            await Parallel.ForAsync(0, objects, new ParallelOptions { MaxDegreeOfParallelism = 16 }, async (i, ct) =>
                await seeding.CreateAsync(type, Widget.New($"widget-{i:D5}", $"value-{i}"), ct));
        }

        Console.WriteLine($"created {objects} widgets; starting the operator with {workers} workers per controller");
        await using var op = WidgetOperator.Create(server, new LeaderElectionOptions { Identity = "bench" }, workers,
            loggerFactory: NullLoggerFactory.Instance);
        var widgets = op.Manager.Informer<Widget>().Cache;
        var children = op.Manager.Informer<V1ConfigMap>().Cache;
        var watch = Stopwatch.StartNew();
        op.Start();
        while (!AllReconciled(widgets, children, objects))
        {
            await Task.Delay(20);
        }

        var initialSync = watch.Elapsed;
        var syncRequests = op.Manager.Metrics.ApiRequestCount();
        var syncWrites = op.Manager.Metrics.ApiRequestCount(writesOnly: true);
        Console.WriteLine($"all {objects} reconciled in {initialSync.TotalSeconds:0.00} s with {syncRequests} API requests ({syncWrites} writes)");

        await Task.Delay(TimeSpan.FromSeconds(2)); // let the last watch events arrive
        var writesBefore = op.Manager.Metrics.ApiRequestCount(writesOnly: true);
        var leaseWritesBefore = LeaseWrites(server);
        await Task.Delay(TimeSpan.FromSeconds(steadySeconds));
        var leaseWrites = LeaseWrites(server) - leaseWritesBefore;
        var steadyWrites = op.Manager.Metrics.ApiRequestCount(writesOnly: true) - writesBefore - leaseWrites;
        Console.WriteLine($"steady state: {steadyWrites} writes in {steadySeconds} s (not counting {leaseWrites} leader lease renewals)");

        var result = new Dictionary<string, object>
        {
            ["objects"] = objects,
            ["initial_sync_s"] = Math.Round(initialSync.TotalSeconds, 3),
            ["requests_per_object"] = Math.Round(syncRequests / objects, 3),
            ["steady_state_writes"] = steadyWrites,
        };
        Console.WriteLine(JsonSerializer.Serialize(result));
        return 0;
    }

    private static bool AllReconciled(Nestor.Operator.Core.Informers.InformerCache<Widget> widgets,
        Nestor.Operator.Core.Informers.InformerCache<V1ConfigMap> children, int expected)
    {
        var all = widgets.List();
        return all.Count == expected && children.Count >= expected && all.All(w =>
            w.Status?.ObservedGeneration == w.Metadata.Generation && children.Get(w.Metadata.NamespaceProperty, w.Metadata.Name + "-child") is not null);
    }

    private static double LeaseWrites(LocalApiServer server) => server.Requests.Count("update", "leases") + server.Requests.Count("create", "leases");

    private static int Arg(string[] args, string name, int fallback)
    {
        var i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? int.Parse(args[i + 1], CultureInfo.InvariantCulture) : fallback;
    }
}
