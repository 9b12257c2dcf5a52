using System.Net;
using System.Text.Json;
using k8s;
using k8s.Models;
using Nestor.Api.Manifests;
using Nestor.ApiServer;
using Nestor.ApiServer.Faults;
using Nestor.Operator.Hosting;
using Nestor.Testing;
using Xunit.Abstractions;

namespace Nestor.Charts.Tests;

/// <summary>
/// Runs the operator host (with whatever controllers it registers) against the local API server on the
/// quickstart's objects, and checks that every (verb, resource) it actually requested is granted by
/// <see cref="OperatorPermissions"/>, which the chart's RBAC equals. A controller that starts using a
/// new resource or verb fails here until the permission is added in that one place.
/// </summary>
public sealed class OperatorRequestsTests(ITestOutputHelper output)
{
    private const string LeaseNamespace = "nestor-system";
    private const string Namespace = "default";

    [Fact]
    public async Task EveryRequestTheOperatorMakesIsCoveredByOperatorPermissions()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        var ct = timeout.Token;
        await using var server = await LocalApiServer.StartAsync(new LocalApiServerOptions { Namespaces = [LeaseNamespace] }, ct);
        using var client = new Kubernetes(server.ClientConfiguration());
        await InstallCrdsAsync(client, ct);
        await ApplyQuickstartAsync(client, ct);
        server.Requests.Reset();

        var kubeconfig = Path.Combine(Path.GetTempPath(), $"nestor-charts-kubeconfig-{Guid.NewGuid():N}");
        server.WriteKubeconfig(kubeconfig);
        try
        {
            await using var host = OperatorHost.Create(new OperatorOptions
            {
                Kubeconfig = kubeconfig,
                MetricsAddress = "127.0.0.1:0",
                LeaseNamespace = LeaseNamespace,
                LogLevel = "Warning",
            });
            using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
            var run = host.RunAsync(stop.Token);
            using var http = new HttpClient();
            Assert.True(await Eventually.TrueAsync(() => Task.FromResult(host.Urls.Count > 0 && !host.Urls[0].EndsWith(":0", StringComparison.Ordinal))));
            Assert.True(await Eventually.TrueAsync(async () => (await http.GetAsync(host.Urls[0] + "/readyz", ct)).StatusCode == HttpStatusCode.OK));
            Assert.True(await Eventually.TrueAsync(() => Task.FromResult(host.Manager.IsLeader)));
            await SettleAsync(server, ct);

            // Changes that make controllers update and clean up; the test's own requests are subtracted below.
            var own = new Dictionary<RequestKey, long>();
            await client.CustomObjects.PatchNamespacedCustomObjectAsync(new V1Patch("""{"spec":{"maxReplicas":5}}""", V1Patch.PatchType.MergePatch),
                "nestor.dev", "v1alpha1", Namespace, "budgettiers", "tiny-b50", cancellationToken: ct);
            own[new RequestKey("patch", "budgettiers")] = 1;
            await client.CustomObjects.DeleteNamespacedCustomObjectAsync("nestor.dev", "v1alpha1", Namespace, "budgettiers", "tiny-b75", cancellationToken: ct);
            own[new RequestKey("delete", "budgettiers")] = 1;
            await SettleAsync(server, ct);

            await stop.CancelAsync();
            await run.WaitAsync(TimeSpan.FromSeconds(15), CancellationToken.None);

            var requests = server.Requests.Snapshot()
                .Select(p => (p.Key, Count: p.Value - own.GetValueOrDefault(p.Key)))
                .Where(p => p.Count > 0)
                .Select(p => p.Key)
                .ToList();
            output.WriteLine($"The operator requested: {string.Join(", ", requests.Select(r => $"{r.Verb} {r.Resource}").Order())}");
            Assert.Contains(requests, r => r.Resource == "leases");
            var granted = OperatorPermissions.All.ToDictionary(p => p.Resource, p => p.Verbs);
            var uncovered = requests
                .Where(r => !granted.TryGetValue(r.Resource, out var verbs) || !verbs.Contains(r.Verb))
                .Select(r => $"{r.Verb} {r.Resource}")
                .Order()
                .ToList();
            Assert.True(uncovered.Count == 0,
                $"The operator made requests that OperatorPermissions does not grant: {string.Join(", ", uncovered)}. " +
                "Add them to operator/Nestor.Operator/Hosting/OperatorPermissions.cs and the chart's nestor.watchedRules.");
        }
        finally
        {
            File.Delete(kubeconfig);
        }
    }

    /// <summary>Waits until no new kind of request has appeared for 2 s (lease renewals only repeat old ones).</summary>
    private static async Task SettleAsync(LocalApiServer server, CancellationToken ct)
    {
        var keys = server.Requests.Snapshot().Keys.ToHashSet();
        var quietSince = DateTime.UtcNow;
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (DateTime.UtcNow - quietSince < TimeSpan.FromSeconds(2) && DateTime.UtcNow < deadline)
        {
            await Task.Delay(200, ct);
            var now = server.Requests.Snapshot().Keys.ToHashSet();
            if (!now.SetEquals(keys))
            {
                keys = now;
                quietSince = DateTime.UtcNow;
            }
        }
    }

    private static async Task InstallCrdsAsync(Kubernetes client, CancellationToken ct)
    {
        foreach (var file in Directory.GetFiles(RepoPaths.Combine("crds"), "*.yaml"))
        {
            var crd = KubernetesJson.Deserialize<V1CustomResourceDefinition>(YamlToJson.Parse(await File.ReadAllTextAsync(file, ct), file).ToJsonString());
            await client.ApiextensionsV1.CreateCustomResourceDefinitionAsync(crd, cancellationToken: ct);
        }
    }

    private static async Task ApplyQuickstartAsync(Kubernetes client, CancellationToken ct)
    {
        foreach (var file in Directory.GetFiles(RepoPaths.Combine("examples", "quickstart"), "*.yaml").Order())
        {
            foreach (var document in YamlToJson.ParseDocuments(await File.ReadAllTextAsync(file, ct), file))
            {
                var json = document.ToJsonString();
                if ((string?)document["kind"] == "PersistentVolumeClaim")
                {
                    await client.CoreV1.CreateNamespacedPersistentVolumeClaimAsync(KubernetesJson.Deserialize<V1PersistentVolumeClaim>(json), Namespace, cancellationToken: ct);
                    continue;
                }

                var plural = (string?)document["kind"] switch
                {
                    "ElasticModel" => "elasticmodels",
                    "BudgetTier" => "budgettiers",
                    "CompressionRun" => "compressionruns",
                    var other => throw new InvalidOperationException($"{file}: unexpected kind {other}"),
                };
                using var body = JsonDocument.Parse(json);
                await client.CustomObjects.CreateNamespacedCustomObjectAsync(body.RootElement, "nestor.dev", "v1alpha1", Namespace, plural, cancellationToken: ct);
            }
        }
    }
}
