using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Prometheus;

namespace Nestor.Operator.Tests.Autoscaling;

/// <summary>
/// A real HTTP /metrics endpoint on loopback (Kestrel + prometheus-net) exposing the runtime's metric
/// names (nestor_requests_waiting{budget}, nestor_requests_running{budget}, the latency histograms),
/// standing in for `nestor serve`, which is written in another branch. It is the boundary: the
/// operator's scrape, parse, decision and writes are all real.
/// </summary>
public sealed class FakeRuntimeMetrics : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly Gauge _waiting;
    private readonly Gauge _running;
    private readonly Histogram _ttft;

    private FakeRuntimeMetrics(WebApplication app, CollectorRegistry registry)
    {
        _app = app;
        var factory = Metrics.WithCustomRegistry(registry);
        _waiting = factory.CreateGauge("nestor_requests_waiting", "Requests waiting.", "budget");
        _running = factory.CreateGauge("nestor_requests_running", "Requests running.", "budget");
        _ttft = factory.CreateHistogram("nestor_time_to_first_token_seconds", "Time to first token.",
            new HistogramConfiguration { LabelNames = ["budget"], Buckets = [0.05, 0.1, 0.25, 0.5, 1, 2.5] });
        factory.CreateHistogram("nestor_e2e_request_latency_seconds", "End-to-end latency.", new HistogramConfiguration { LabelNames = ["budget"] });
    }

    public int Port => new Uri(_app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First()).Port;

    public static async Task<FakeRuntimeMetrics> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(o => o.Listen(IPAddress.Loopback, 0));
        var app = builder.Build();
        var registry = Metrics.NewCustomRegistry();
        var fake = new FakeRuntimeMetrics(app, registry);
        app.MapMetrics("/metrics", registry);
        await app.StartAsync();
        return fake;
    }

    public void SetLoad(string budget, double waiting, double running)
    {
        _waiting.WithLabels(budget).Set(waiting);
        _running.WithLabels(budget).Set(running);
    }

    public void ObserveTtft(string budget, double seconds) => _ttft.WithLabels(budget).Observe(seconds);

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
