using System.Net;
using k8s;
using Nestor.ApiServer.Faults;

namespace Nestor.ApiServer.Tests;

/// <summary>Fault injection in process and over the admin endpoint, and request counting.</summary>
public sealed class FaultTests
{
    [Fact]
    public async Task FailNext_AnswersErrorsForMatchingRequestsOnly_ThenRecovers()
    {
        await using var server = await TestServer.StartAsync();
        var client = server.Client();
        server.Faults.FailNext(2, 500, new RequestMatch(Verb: "list", Resource: "configmaps"));
        await client.CoreV1.ListNamespacedPodAsync("default");
        for (var i = 0; i < 2; i++)
        {
            var error = await TestServer.ExpectErrorAsync(() => client.CoreV1.ListNamespacedConfigMapAsync("default"));
            Assert.Equal(HttpStatusCode.InternalServerError, error.Response.StatusCode);
            Assert.Equal("InternalError", (string?)error.Status()["reason"]);
        }

        await client.CoreV1.ListNamespacedConfigMapAsync("default");

        server.Faults.FailNext(1, 429, retryAfterSeconds: 3);
        var (status, body, response) = await server.RawAsync(HttpMethod.Get, "/api/v1/namespaces/default/configmaps");
        Assert.Equal(429, status);
        Assert.Equal("TooManyRequests", (string?)body!["reason"]);
        Assert.Equal(TimeSpan.FromSeconds(3), response.Headers.RetryAfter!.Delta);
    }

    [Fact]
    public async Task DelayNext_DelaysResponses()
    {
        await using var server = await TestServer.StartAsync();
        var client = server.Client();
        server.Faults.DelayNext(1, TimeSpan.FromMilliseconds(500), new RequestMatch(Verb: "get"));

        // A request that does not match leaves the rule pending (no upper time bound: CI machines are slow).
        await client.CoreV1.ListNamespacedConfigMapAsync("default");
        var (_, pending, _) = await server.RawAsync(HttpMethod.Get, "/_nestor/faults");
        Assert.Equal(1, (int?)pending!["delays"]![0]!["remaining"]);

        var started = System.Diagnostics.Stopwatch.StartNew();
        await TestServer.ExpectErrorAsync(() => client.CoreV1.ReadNamespacedConfigMapAsync("nothing", "default"));
        // Timers may fire a millisecond early against the stopwatch: a lower bound well under the delay, far above an
        // undelayed request.
        Assert.True(started.Elapsed >= TimeSpan.FromMilliseconds(400), $"the matching request took {started.Elapsed}");
        (_, pending, _) = await server.RawAsync(HttpMethod.Get, "/_nestor/faults");
        Assert.Empty(pending!["delays"]!.AsArray());
    }

    [Fact]
    public async Task AdminEndpoint_InjectsFaults_AndReportsRequestCounts()
    {
        await using var server = await TestServer.StartAsync();
        var client = server.Client();
        var (status, _, _) = await server.RawAsync(HttpMethod.Post, "/_nestor/faults/errors", """{"count":1,"status":503,"verb":"create","resource":"configmaps"}""");
        Assert.Equal(200, status);
        var error = await TestServer.ExpectErrorAsync(() => client.CoreV1.CreateNamespacedConfigMapAsync(TestServer.ConfigMap("a"), "default"));
        Assert.Equal(HttpStatusCode.ServiceUnavailable, error.Response.StatusCode);
        await client.CoreV1.CreateNamespacedConfigMapAsync(TestServer.ConfigMap("a"), "default");
        await client.CoreV1.ReadNamespacedConfigMapAsync("a", "default");
        await client.CoreV1.ReplaceNamespacedConfigMapAsync(await client.CoreV1.ReadNamespacedConfigMapAsync("a", "default"), "a", "default");

        Assert.Equal(2, server.Requests.Count("create", "configmaps"));
        Assert.Equal(2, server.Requests.Count("get", "configmaps"));
        Assert.Equal(3, server.Requests.Writes);
        var (_, counts, _) = await server.RawAsync(HttpMethod.Get, "/_nestor/requests");
        Assert.Equal(2, (long?)counts!["requests"]!["create configmaps"]);
        await server.RawAsync(HttpMethod.Delete, "/_nestor/requests");
        Assert.Equal(0, server.Requests.Total);

        var (_, compacted, _) = await server.RawAsync(HttpMethod.Post, "/_nestor/faults/compact");
        Assert.Equal(server.ResourceVersion.ToString(System.Globalization.CultureInfo.InvariantCulture), (string?)compacted!["compactedResourceVersion"]);
        var (_, dropped, _) = await server.RawAsync(HttpMethod.Post, "/_nestor/faults/drop-watches");
        Assert.Equal(0, (int?)dropped!["dropped"]);
    }
}
