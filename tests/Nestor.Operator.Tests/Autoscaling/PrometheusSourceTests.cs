using System.Collections.Concurrent;
using System.Net;
using k8s.Models;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Nestor.Api.V1Alpha1;
using Nestor.Operator.Tests.Controllers;

namespace Nestor.Operator.Tests.Autoscaling;

/// <summary>
/// metricsSource type Prometheus against a stand-in for Prometheus' HTTP API (/api/v1/query on
/// loopback, answering the vector JSON Prometheus answers); no Prometheus server can run here.
/// </summary>
public sealed class PrometheusSourceTests
{
    [Fact]
    public async Task TheTierScalesFromTheQueueDepthQueryAndHoldsWhenPrometheusFails()
    {
        var queries = new ConcurrentQueue<string>();
        var depth = "30";
        var failing = false;
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(o => o.Listen(IPAddress.Loopback, 0));
        await using var prometheus = builder.Build();
        prometheus.MapGet("/api/v1/query", (HttpRequest request) =>
        {
            queries.Enqueue(request.Query["query"].ToString());
            return failing
                ? Results.StatusCode(503)
                : Results.Json(new
                {
                    status = "success",
                    data = new { resultType = "vector", result = new[] { new { metric = new { }, value = new object[] { 1.7e9, depth } } } },
                });
        });
        await prometheus.StartAsync();
        var address = prometheus.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();

        await using var fx = await OperatorFixture.StartAsync();
        await ModelSteps.ReadyModelAsync(fx, "tiny", Kubelet.Digest('a'), "full");
        await fx.CreateAsync(Objects.Tier("tiny-prom", "tiny", "full", max: 8, autoscaling: new AutoscalingSpec
        {
            MetricsSource = new MetricsSource { Type = MetricsSourceType.Prometheus, Prometheus = new PrometheusSource { Address = address } },
        }));
        var tier = await fx.WaitAsync<BudgetTier>("tiny-prom", t => t.Status?.DesiredReplicas == 4);
        Assert.StartsWith("QueueAboveTarget", tier.Status!.LastScaleReason, StringComparison.Ordinal);
        Assert.Contains(queries, q => q.Contains("nestor_requests_waiting{namespace=\"nestor-test\",budget=\"full\"}", StringComparison.Ordinal));
        await fx.WaitAsync<V1Deployment>("tiny-prom", d => d.Spec.Replicas == 4);

        failing = true;
        depth = "0";
        await Task.Delay(3000);
        tier = await fx.GetRequiredAsync<BudgetTier>("tiny-prom");
        Assert.Equal(4, tier.Status!.DesiredReplicas);
    }
}
