using System.Net;
using k8s;
using k8s.Models;
using Nestor.ApiServer;
using Nestor.Operator.Core.Kube;
using Nestor.Operator.Hosting;
using Nestor.Testing;

namespace Nestor.Operator.Tests;

public sealed class OperatorHostTests
{
    [Fact]
    public async Task TheHostServesHealthReadinessAndMetricsAndTakesTheLease()
    {
        await using var server = await LocalApiServer.StartAsync();
        using (var api = new KubeApiClient(server.ClientConfiguration()))
        {
            // The controllers' informers list the Nestor kinds: readiness needs their CRDs.
            foreach (var file in Directory.GetFiles(RepoPaths.Combine("crds"), "*.yaml"))
            {
                await api.CreateAsync(ResourceType.For<V1CustomResourceDefinition>(),
                    KubernetesYaml.Deserialize<V1CustomResourceDefinition>(await File.ReadAllTextAsync(file)), CancellationToken.None);
            }
        }

        var kubeconfig = Path.Combine(Path.GetTempPath(), $"nestor-kubeconfig-{Guid.NewGuid():N}");
        server.WriteKubeconfig(kubeconfig);
        try
        {
            await using var host = OperatorHost.Create(new OperatorOptions { Kubeconfig = kubeconfig, MetricsAddress = "127.0.0.1:0", LogLevel = "Warning" });
            using var stop = new CancellationTokenSource();
            var run = host.RunAsync(stop.Token);
            using var http = new HttpClient();
            Assert.True(await Eventually.TrueAsync(() => Task.FromResult(host.Urls.Count > 0 && !host.Urls[0].EndsWith(":0", StringComparison.Ordinal))));
            var baseUrl = host.Urls[0];

            Assert.Equal("ok", await http.GetStringAsync(baseUrl + "/healthz"));
            Assert.True(await Eventually.TrueAsync(async () => (await http.GetAsync(baseUrl + "/readyz")).StatusCode == HttpStatusCode.OK));
            Assert.True(await Eventually.TrueAsync(() => Task.FromResult(host.Manager.IsLeader)));
            var metrics = await http.GetStringAsync(baseUrl + "/metrics");
            Assert.Contains("nestor_operator_leader 1", metrics, StringComparison.Ordinal);
            Assert.Contains("nestor_operator_api_requests_total{verb=\"create\",resource=\"leases.coordination.k8s.io\"", metrics, StringComparison.Ordinal);

            await stop.CancelAsync();
            await run.WaitAsync(TimeSpan.FromSeconds(15));
        }
        finally
        {
            File.Delete(kubeconfig);
        }
    }
}
