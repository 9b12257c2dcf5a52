using System.Diagnostics;
using k8s.Models;
using Nestor.ApiServer;
using Nestor.ApiServer.Faults;
using Nestor.Operator.Core.Kube;
using Nestor.Operator.Core.Leadership;
using Nestor.Operator.Core.Tests.Fixtures;
using Nestor.Testing;

namespace Nestor.Operator.Core.Tests;

/// <summary>Two operator instances on one Lease: exactly one reconciles; the other takes over when it stops or dies.</summary>
public sealed class LeaderElectionTests
{
    private static readonly ResourceType Widgets = ResourceType.For<Widget>();

    private static LeaderElectionOptions Lease(string identity, bool releaseOnStop = true) => new()
    {
        Identity = identity,
        LeaseDuration = TimeSpan.FromSeconds(2),
        RenewDeadline = TimeSpan.FromSeconds(1.5),
        RetryPeriod = TimeSpan.FromMilliseconds(200),
        ReleaseOnStop = releaseOnStop,
    };

    private static async Task<LocalApiServer> StartServerAsync()
    {
        var server = await LocalApiServer.StartAsync(new LocalApiServerOptions { BookmarkInterval = TimeSpan.FromMilliseconds(500) });
        await WidgetOperator.InstallCrdAsync(server);
        return server;
    }

    private static async Task<bool> ReconciledAsync(KubeApiClient api, string name, string value) =>
        (await api.GetAsync<Widget>(Widgets, "default", name, CancellationToken.None))?.Status?.Value == value;

    private static int Total(WidgetOperator op) => op.Reconciler.Reconciles.Values.Sum();

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task ExactlyOneInstanceReconcilesAndTheOtherTakesOverWithinTheLeaseDuration(bool graceful)
    {
        await using var server = await StartServerAsync();
        using var api = new KubeApiClient(server.ClientConfiguration());
        await using var first = WidgetOperator.Create(server, Lease("first", releaseOnStop: graceful));
        await using var second = WidgetOperator.Create(server, Lease("second", releaseOnStop: graceful));
        first.Start();
        Assert.True(await Eventually.TrueAsync(() => Task.FromResult(first.Manager.IsLeader)), "the first instance never led");
        second.Start();
        Assert.True(await Eventually.TrueAsync(() => Task.FromResult(second.Manager.CachesSynced)));

        await api.CreateAsync(Widgets, Widget.New("a", "1"), CancellationToken.None);
        Assert.True(await Eventually.TrueAsync(() => ReconciledAsync(api, "a", "1")));
        await Task.Delay(500);
        Assert.False(second.Manager.IsLeader);
        Assert.Equal(0, Total(second));
        Assert.True(Total(first) > 0);

        var stopped = Stopwatch.StartNew();
        await first.StopAsync(); // graceful: releases the lease; otherwise as if killed: the lease must expire
        Assert.True(await Eventually.TrueAsync(() => Task.FromResult(second.Manager.IsLeader), TimeSpan.FromSeconds(10)),
            "the second instance never took over");
        var takeover = stopped.Elapsed;
        Assert.True(takeover < TimeSpan.FromSeconds(2) + TimeSpan.FromSeconds(1.5),
            $"take-over took {takeover.TotalSeconds:0.0} s; the lease lasts 2 s");

        await api.CreateAsync(Widgets, Widget.New("b", "2"), CancellationToken.None);
        Assert.True(await Eventually.TrueAsync(() => ReconciledAsync(api, "b", "2")), "the new leader did not reconcile");
        Assert.Equal(0, first.Reconciler.Reconciles.GetValueOrDefault(new ObjectKey("default", "b")));
    }

    [Fact]
    public async Task ALeaderThatCannotRenewStopsReconcilingAndWinsTheLeaseBackLater()
    {
        await using var server = await StartServerAsync();
        using var api = new KubeApiClient(server.ClientConfiguration());
        await using var op = WidgetOperator.Create(server, Lease("only"));
        op.Start();
        Assert.True(await Eventually.TrueAsync(() => Task.FromResult(op.Manager.IsLeader)));

        // A network blip on the lease: every lease request fails for a while.
        server.Faults.FailNext(1000, 503, new RequestMatch(Resource: "leases"));
        Assert.True(await Eventually.TrueAsync(() => Task.FromResult(!op.Manager.IsLeader), TimeSpan.FromSeconds(5)),
            "the leader kept leading although it could not renew");
        var before = Total(op);
        await api.CreateAsync(Widgets, Widget.New("during-blip", "x"), CancellationToken.None);
        await Task.Delay(500);
        Assert.Equal(before, Total(op)); // not leading: no reconcile

        server.Faults.Clear();
        Assert.True(await Eventually.TrueAsync(() => Task.FromResult(op.Manager.IsLeader), TimeSpan.FromSeconds(10)),
            "leadership was never regained after the blip");
        Assert.True(await Eventually.TrueAsync(() => ReconciledAsync(api, "during-blip", "x")),
            "the change made while not leading was not reconciled after regaining the lease");
        var lease = await api.GetAsync<V1Lease>(ResourceType.For<V1Lease>(), "default", "nestor-operator", CancellationToken.None);
        Assert.Equal("only", lease!.Spec!.HolderIdentity);
    }
}
