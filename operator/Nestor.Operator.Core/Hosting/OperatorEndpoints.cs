using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Prometheus;

namespace Nestor.Operator.Core.Hosting;

public static class OperatorEndpoints
{
    /// <summary>/healthz (informer loops alive), /readyz (caches synced), /metrics (Prometheus text format).</summary>
    public static IEndpointRouteBuilder MapOperatorEndpoints(this IEndpointRouteBuilder endpoints, Manager manager)
    {
        endpoints.MapGet("/healthz", () => manager.Healthy ? Results.Text("ok") : Results.Text("informer failed", statusCode: 500));
        endpoints.MapGet("/readyz", () => manager.CachesSynced
            ? Results.Text(manager.IsLeader ? "ok (leader)" : "ok (standby)")
            : Results.Text("caches not synced", statusCode: 503));
        endpoints.MapMetrics("/metrics", manager.Metrics.Registry);
        return endpoints;
    }
}
