using k8s.Models;
using Microsoft.Extensions.Logging.Abstractions;
using Nestor.ApiServer;
using Nestor.Operator.Core.Events;
using Nestor.Operator.Core.Kube;
using Nestor.Testing;

namespace Nestor.Operator.Core.Tests;

public sealed class EventRecorderTests
{
    [Fact]
    public async Task RepeatsAreAggregatedIntoOneEventWithACount()
    {
        await using var server = await LocalApiServer.StartAsync();
        using var api = new KubeApiClient(server.ClientConfiguration());
        var owner = await api.CreateAsync(ResourceType.For<V1ConfigMap>(),
            new V1ConfigMap { Metadata = new V1ObjectMeta { Name = "subject", NamespaceProperty = "default" } }, CancellationToken.None);
        var recorder = new EventRecorder(api, "test", NullLogger<EventRecorder>.Instance);
        using var stop = new CancellationTokenSource();
        var run = recorder.RunAsync(stop.Token);

        for (var i = 0; i < 3; i++)
        {
            recorder.Record(owner, EventRecorder.Normal, "Scaled", "scaled to 3");
        }

        recorder.Record(owner, EventRecorder.Warning, "Failed", "something else");

        var events = ResourceType.For<Corev1Event>();
        Assert.True(await Eventually.TrueAsync(async () =>
        {
            var list = (await api.ListAsync<Corev1Event>(events, new ListOptions("default"), CancellationToken.None)).Items;
            return list.Count == 2 && list.Single(e => e.Reason == "Scaled").Count == 3;
        }), "the repeats were not aggregated");
        var scaled = (await api.ListAsync<Corev1Event>(events, new ListOptions("default"), CancellationToken.None)).Items.Single(e => e.Reason == "Scaled");
        Assert.Equal("subject", scaled.InvolvedObject.Name);
        Assert.Equal(owner.Metadata.Uid, scaled.InvolvedObject.Uid);
        Assert.Equal("Normal", scaled.Type);

        await stop.CancelAsync();
        await run;
    }
}
