using k8s.Models;
using Nestor.ApiServer;
using Nestor.ApiServer.Faults;
using Nestor.Operator.Core.Kube;
using Nestor.Operator.Core.Tests.Fixtures;
using Nestor.Testing;

namespace Nestor.Operator.Core.Tests;

/// <summary>
/// The operator core against the local API server with injected faults: each time, reconciliation
/// converges with no restart, no change is missed, and no key is reconciled twice at once.
/// </summary>
public sealed class ResilienceTests
{
    private static readonly ResourceType Widgets = ResourceType.For<Widget>();
    private static readonly ResourceType ConfigMaps = ResourceType.For<V1ConfigMap>();
    private static readonly TimeSpan Converge = TimeSpan.FromSeconds(20);

    private static async Task<LocalApiServer> StartServerAsync(int historySize = 10_000)
    {
        var server = await LocalApiServer.StartAsync(new LocalApiServerOptions { HistorySize = historySize, BookmarkInterval = TimeSpan.FromMilliseconds(500) });
        await WidgetOperator.InstallCrdAsync(server);
        return server;
    }

    private static async Task CreateAsync(KubeApiClient api, int count, string prefix = "w", string value = "v1")
    {
        for (var i = 0; i < count; i++)
        {
            await api.CreateAsync(Widgets, Widget.New($"{prefix}{i}", value), CancellationToken.None);
        }
    }

    /// <summary>True when every widget's status and child reflect its current spec.</summary>
    private static async Task<bool> ConvergedAsync(KubeApiClient api)
    {
        try
        {
            return await CheckConvergedAsync(api);
        }
        catch (KubeApiException)
        {
            return false; // faults injected for the operator hit the test's own requests too
        }
    }

    private static async Task<bool> CheckConvergedAsync(KubeApiClient api)
    {
        var widgets = (await api.ListAsync<Widget>(Widgets, new ListOptions("default"), CancellationToken.None)).Items;
        var children = (await api.ListAsync<V1ConfigMap>(ConfigMaps, new ListOptions("default", LabelSelector: "widget"), CancellationToken.None)).Items
            .ToDictionary(c => c.Metadata.Name);
        return widgets.All(w =>
            w.Status?.ObservedGeneration == w.Metadata.Generation && w.Status?.Value == w.Spec.Value
            && children.TryGetValue(w.Metadata.Name + "-child", out var child) && child.Data?["value"] == w.Spec.Value)
            && children.Count == widgets.Count;
    }

    private static async Task AssertConvergesAsync(KubeApiClient api, WidgetOperator op)
    {
        Assert.True(await Eventually.TrueAsync(() => ConvergedAsync(api), Converge), "reconciliation did not converge");
        Assert.Equal(0, op.Reconciler.ConcurrentViolations);
    }

    private static async Task UpdateValueAsync(KubeApiClient api, string name, string value)
    {
        await api.PatchAsync<Widget>(Widgets, "default", name, PatchKind.Merge, $$$"""{"spec":{"value":"{{{value}}}"}}""", CancellationToken.None);
    }

    [Fact]
    public async Task AWatchDroppedMidStreamMissesNoChange()
    {
        await using var server = await StartServerAsync();
        using var api = new KubeApiClient(server.ClientConfiguration());
        await CreateAsync(api, 10);
        await using var op = WidgetOperator.Create(server);
        op.Start();
        await AssertConvergesAsync(api, op);

        server.Faults.DropWatches(abort: false);
        await UpdateValueAsync(api, "w1", "after-clean-drop");
        server.Faults.DropWatches(abort: true);
        await UpdateValueAsync(api, "w2", "after-abort");
        await api.DeleteAsync(Widgets, "default", "w3", CancellationToken.None);
        await CreateAsync(api, 1, prefix: "late");

        await AssertConvergesAsync(api, op);
        Assert.True(op.Manager.Metrics.ApiRequestCount() > 0);
    }

    [Fact]
    public async Task A410OnTheReWatchRelistsAndTurnsVanishedObjectsIntoDeletes()
    {
        await using var server = await StartServerAsync();
        using var api = new KubeApiClient(server.ClientConfiguration());
        await CreateAsync(api, 5);
        await using var op = WidgetOperator.Create(server);
        op.Start();
        await AssertConvergesAsync(api, op);
        var cache = op.Manager.Informer<Widget>().Cache;

        // Make every resume fail with 410, then change things while the watch is down.
        server.Faults.FailNext(1, 500, new RequestMatch(Verb: "watch", Resource: "widgets"));
        server.Faults.DropWatches(abort: true);
        await api.DeleteAsync(Widgets, "default", "w0", CancellationToken.None);
        await UpdateValueAsync(api, "w4", "changed-while-down");
        server.Faults.CompactHistory();

        await AssertConvergesAsync(api, op);
        Assert.True(await Eventually.TrueAsync(() => Task.FromResult(cache.Get("default", "w0") is null), Converge),
            "the relist did not remove the widget deleted while the watch was down");
        Assert.Equal("changed-while-down", cache.Get("default", "w4")!.Spec.Value);
    }

    [Fact]
    public async Task FiveServerErrorsInARowAreRetriedWithBackoff()
    {
        await using var server = await StartServerAsync();
        using var api = new KubeApiClient(server.ClientConfiguration());
        await CreateAsync(api, 3);
        server.Faults.FailNext(5, 500, new RequestMatch(Verb: "list", Resource: "widgets"));
        await using var op = WidgetOperator.Create(server);
        op.Start();
        await AssertConvergesAsync(api, op);

        server.Faults.FailNext(5, 503, new RequestMatch(Verb: "create", Resource: "configmaps"), retryAfterSeconds: 1);
        await CreateAsync(api, 2, prefix: "x");
        await AssertConvergesAsync(api, op);
        Assert.True(op.Reconciler.Reconciles[new ObjectKey("default", "x0")] + op.Reconciler.Reconciles[new ObjectKey("default", "x1")] >= 3,
            "the failed creates were not retried");
    }

    [Fact]
    public async Task AConflictOnAStatusWriteIsRetriedUntilItLands()
    {
        await using var server = await StartServerAsync();
        using var api = new KubeApiClient(server.ClientConfiguration());
        await using var op = WidgetOperator.Create(server);
        op.Start();
        server.Faults.FailNext(1, 409, new RequestMatch(Verb: "update", Resource: "widgets", Subresource: "status"));
        await CreateAsync(api, 1);
        await AssertConvergesAsync(api, op);
        Assert.True(op.Reconciler.Reconciles[new ObjectKey("default", "w0")] >= 2);
    }

    [Fact]
    public async Task ManyUpdatesToOneKeyNeverRunConcurrentlyAndTheLastOneWins()
    {
        await using var server = await StartServerAsync();
        using var api = new KubeApiClient(server.ClientConfiguration());
        await CreateAsync(api, 3);
        await using var op = WidgetOperator.Create(server, workers: 8);
        op.Reconciler.Delay = TimeSpan.FromMilliseconds(20);
        op.Start();
        for (var i = 0; i < 30; i++)
        {
            await UpdateValueAsync(api, "w" + (i % 3), "v" + i);
        }

        await AssertConvergesAsync(api, op);
        Assert.Equal("v29", (await api.GetAsync<Widget>(Widgets, "default", "w2", CancellationToken.None))!.Status!.Value);
    }

    [Fact]
    public async Task AConvergedOperatorMakesNoWrites()
    {
        await using var server = await StartServerAsync();
        using var api = new KubeApiClient(server.ClientConfiguration());
        await CreateAsync(api, 20);
        await using var op = WidgetOperator.Create(server);
        op.Start();
        await AssertConvergesAsync(api, op);
        await Task.Delay(500); // let the last status events come back through the watch
        var writes = server.Requests.Writes;
        server.Faults.DropWatches(); // a re-watch and its events must not cause writes either
        await Task.Delay(TimeSpan.FromSeconds(2));
        Assert.Equal(writes, server.Requests.Writes);
    }
}
