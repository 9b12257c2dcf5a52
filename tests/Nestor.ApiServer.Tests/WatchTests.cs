using System.Net;
using k8s;
using k8s.Models;

namespace Nestor.ApiServer.Tests;

/// <summary>Watch semantics through KubernetesClient: initial events, resume, 410 Gone in-stream, bookmarks, timeouts, drops.</summary>
public sealed class WatchTests
{
    private sealed record Seen(WatchEventType Type, string Name, string ResourceVersion);

    /// <summary>Reads events until <paramref name="count"/> arrived or the stream ended; records the stream's error.</summary>
    private delegate IAsyncEnumerable<(WatchEventType, V1ConfigMap)> Watch(Action<Exception> onError, CancellationToken cancellationToken);

    private static Watch ConfigMaps(Kubernetes client, string? resourceVersion = null, int timeoutSeconds = 10, bool bookmarks = false, string? labelSelector = null) =>
        (onError, ct) => client.CoreV1.WatchListNamespacedConfigMapAsync("default", allowWatchBookmarks: bookmarks, labelSelector: labelSelector,
            resourceVersion: resourceVersion, timeoutSeconds: timeoutSeconds, onError: onError, cancellationToken: ct);

    private static async Task<(List<Seen> Events, Exception? Error, bool Ended)> ReadAsync(
        Watch watch, int count, TimeSpan timeout, Action? afterFirst = null)
    {
        var events = new List<Seen>();
        Exception? error = null;
        var ended = true;
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await foreach (var (type, item) in watch(e => error = e, cts.Token))
            {
                events.Add(new Seen(type, item.Metadata?.Name ?? "", item.Metadata?.ResourceVersion ?? ""));
                if (events.Count == 1)
                {
                    afterFirst?.Invoke();
                }

                if (events.Count >= count)
                {
                    ended = false;
                    break;
                }
            }
        }
        catch (OperationCanceledException)
        {
            ended = false;
        }
        catch (HttpRequestException e)
        {
            // A reset connection surfaces as an exception from the enumeration rather than through onError.
            error = e;
        }

        return (events, error, ended);
    }

    [Fact]
    public async Task Watch_FromList_DeliversChangesInOrder_AndResumesFromAnyKeptVersion()
    {
        await using var server = await TestServer.StartAsync();
        var client = server.Client();
        await client.CoreV1.CreateNamespacedConfigMapAsync(TestServer.ConfigMap("before"), "default");
        var list = await client.CoreV1.ListNamespacedConfigMapAsync("default");
        var watch = ConfigMaps(client, resourceVersion: list.Metadata.ResourceVersion, timeoutSeconds: 10);
        var writer = Task.Run(async () =>
        {
            await Task.Delay(100);
            await client.CoreV1.CreateNamespacedConfigMapAsync(TestServer.ConfigMap("a"), "default");
            await client.CoreV1.PatchNamespacedConfigMapAsync(new V1Patch("""{"data":{"k":"2"}}""", V1Patch.PatchType.MergePatch), "a", "default");
            await client.CoreV1.DeleteNamespacedConfigMapAsync("a", "default");
        });
        var (events, error, _) = await ReadAsync(watch, 3, TimeSpan.FromSeconds(10));
        await writer;
        Assert.Null(error);
        Assert.Equal([WatchEventType.Added, WatchEventType.Modified, WatchEventType.Deleted], events.Select(e => e.Type));
        Assert.All(events, e => Assert.Equal("a", e.Name));

        var resumed = ConfigMaps(client, resourceVersion: events[0].ResourceVersion, timeoutSeconds: 10);
        var (replayed, _, _) = await ReadAsync(resumed, 2, TimeSpan.FromSeconds(10));
        Assert.Equal([WatchEventType.Modified, WatchEventType.Deleted], replayed.Select(e => e.Type));

        var fromStart = ConfigMaps(client, timeoutSeconds: 10);
        var (initial, _, _) = await ReadAsync(fromStart, 1, TimeSpan.FromSeconds(10));
        Assert.Equal(new Seen(WatchEventType.Added, "before", initial[0].ResourceVersion), initial[0]);
    }

    [Fact]
    public async Task Watch_FromCompactedVersion_GetsInStream410_ThenRelistAndRewatchWork()
    {
        await using var server = await TestServer.StartAsync(historySize: 5);
        var client = server.Client();
        var list = await client.CoreV1.ListNamespacedConfigMapAsync("default");
        for (var i = 0; i < 10; i++)
        {
            await client.CoreV1.CreateNamespacedConfigMapAsync(TestServer.ConfigMap($"c{i}"), "default");
        }

        var (_, status, _) = await server.RawAsync(HttpMethod.Get, $"/api/v1/namespaces/default/configmaps?watch=true&resourceVersion={list.Metadata.ResourceVersion}");
        Assert.Equal("ERROR", (string?)status!["type"]);
        Assert.Equal(410, (int?)status["object"]!["code"]);
        Assert.Equal("Expired", (string?)status["object"]!["reason"]);

        var stale = ConfigMaps(client, resourceVersion: list.Metadata.ResourceVersion, timeoutSeconds: 10);
        var (events, error, ended) = await ReadAsync(stale, 1, TimeSpan.FromSeconds(10));
        Assert.Empty(events);
        Assert.True(ended, "the enumeration ends after the in-stream error");
        var kubernetesError = Assert.IsType<KubernetesException>(error);
        Assert.Equal(410, kubernetesError.Status.Code);

        var relist = await client.CoreV1.ListNamespacedConfigMapAsync("default");
        Assert.Equal(10, relist.Items.Count);
        var rewatch = ConfigMaps(client, resourceVersion: relist.Metadata.ResourceVersion, timeoutSeconds: 10);
        var (fresh, freshError, _) = await ReadAsync(rewatch, 1, TimeSpan.FromSeconds(10),
            () => { });
        _ = fresh;
        _ = freshError;

        var compacted = server.Faults.CompactHistory();
        Assert.Equal(server.ResourceVersion, compacted);
        var (_, afterCompact, _) = await server.RawAsync(HttpMethod.Get, $"/api/v1/namespaces/default/configmaps?watch=true&resourceVersion={compacted - 1}");
        Assert.Equal(410, (int?)afterCompact!["object"]!["code"]);
    }

    [Fact]
    public async Task Watch_SendsBookmarks_AndEndsAtTimeoutSeconds()
    {
        await using var server = await TestServer.StartAsync();
        var client = server.Client();
        await client.CoreV1.CreateNamespacedConfigMapAsync(TestServer.ConfigMap("x"), "default");
        var list = await client.CoreV1.ListNamespacedConfigMapAsync("default");
        await client.CoreV1.CreateNamespacedConfigMapAsync(TestServer.ConfigMap("y"), "kube-system");
        var watch = ConfigMaps(client, resourceVersion: list.Metadata.ResourceVersion,
            bookmarks: true, timeoutSeconds: 2);
        var started = DateTime.UtcNow;
        var (events, error, ended) = await ReadAsync(watch, 100, TimeSpan.FromSeconds(10));
        Assert.True(ended);
        Assert.Null(error);
        Assert.InRange(DateTime.UtcNow - started, TimeSpan.FromSeconds(1.5), TimeSpan.FromSeconds(6));
        Assert.Contains(events, e => e.Type == WatchEventType.Bookmark);
        Assert.All(events, e => Assert.Equal(WatchEventType.Bookmark, e.Type));
        Assert.Equal(server.ResourceVersion.ToString(System.Globalization.CultureInfo.InvariantCulture), events[^1].ResourceVersion);
    }

    [Fact]
    public async Task Watch_WithLabelSelector_TurnsUnmatchingUpdatesIntoDeleted()
    {
        await using var server = await TestServer.StartAsync();
        var client = server.Client();
        await client.CoreV1.CreateNamespacedConfigMapAsync(TestServer.ConfigMap("l", new Dictionary<string, string> { ["app"] = "x" }), "default");
        var watch = ConfigMaps(client, labelSelector: "app=x", timeoutSeconds: 10);
        var (events, _, _) = await ReadAsync(watch, 2, TimeSpan.FromSeconds(10), () =>
            _ = client.CoreV1.PatchNamespacedConfigMapAsync(new V1Patch("""{"metadata":{"labels":{"app":"y"}}}""", V1Patch.PatchType.MergePatch), "l", "default"));
        Assert.Equal([WatchEventType.Added, WatchEventType.Deleted], events.Select(e => e.Type));
    }

    [Fact]
    public async Task DroppedWatch_EndsTheStream_AndClientsCanRewatch()
    {
        await using var server = await TestServer.StartAsync();
        var client = server.Client();
        var list = await client.CoreV1.ListNamespacedConfigMapAsync("default");
        var watch = ConfigMaps(client, resourceVersion: list.Metadata.ResourceVersion, timeoutSeconds: 30);
        var reading = ReadAsync(watch, 100, TimeSpan.FromSeconds(10));
        Assert.True(await Nestor.Testing.Eventually.TrueAsync(() => Task.FromResult(server.OpenWatches == 1)));
        Assert.Equal(1, server.Faults.DropWatches());
        var (_, _, ended) = await reading;
        Assert.True(ended);
        Assert.True(await Nestor.Testing.Eventually.TrueAsync(() => Task.FromResult(server.OpenWatches == 0)));

        var aborted = ConfigMaps(client, resourceVersion: list.Metadata.ResourceVersion, timeoutSeconds: 30);
        var abortedReading = ReadAsync(aborted, 100, TimeSpan.FromSeconds(10));
        Assert.True(await Nestor.Testing.Eventually.TrueAsync(() => Task.FromResult(server.OpenWatches == 1)));
        server.Faults.DropWatches(abort: true);
        var (_, abortError, abortEnded) = await abortedReading;
        Assert.True(abortEnded);
        Assert.NotNull(abortError);
        _ = HttpStatusCode.OK;
    }
}
