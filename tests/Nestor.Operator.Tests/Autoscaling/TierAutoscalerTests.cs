using System.Diagnostics;
using System.Text.Json;
using k8s.Models;
using Nestor.Api.V1Alpha1;
using Nestor.Operator.Controllers.Shared;
using Nestor.Operator.Core.Helpers;
using Nestor.Operator.Core.Kube;
using Nestor.Operator.Tests.Controllers;
using Xunit.Abstractions;

namespace Nestor.Operator.Tests.Autoscaling;

/// <summary>
/// The autoscaler end to end: the operator scrapes a ready pod's real HTTP /metrics, decides, writes
/// status.desiredReplicas with the reason, an Event and a metric, and the BudgetTier reconciler sizes
/// the Deployment. The endpoint is <see cref="FakeRuntimeMetrics"/> unless NESTOR_TEST_SERVE_URL
/// (http://host:port of a running `nestor serve`, with NESTOR_TEST_SERVE_BUDGET, default "full") points
/// the same test at a real server, which is then loaded with concurrent streaming completions.
/// </summary>
public sealed class TierAutoscalerTests(ITestOutputHelper output)
{
    [Fact]
    public async Task ALoadStepScalesTheTierUpAndASteadyTierMakesNoWrites()
    {
        var serveUrl = Environment.GetEnvironmentVariable("NESTOR_TEST_SERVE_URL");
        var budget = serveUrl is null ? "full" : Environment.GetEnvironmentVariable("NESTOR_TEST_SERVE_BUDGET") ?? "full";
        await using var fake = serveUrl is null ? await FakeRuntimeMetrics.StartAsync() : null;
        var target = serveUrl is null ? new Uri($"http://127.0.0.1:{fake!.Port}") : new Uri(serveUrl);
        fake?.SetLoad(budget, 0, 1);

        await using var fx = await OperatorFixture.StartAsync();
        await ModelSteps.ReadyModelAsync(fx, "tiny", Kubelet.Digest('a'), budget);
        await fx.CreateAsync(Objects.Tier("tiny-auto", "tiny", budget, autoscaling: new AutoscalingSpec(), max: 8));
        var deployment = await fx.WaitAsync<V1Deployment>("tiny-auto", d => d.Spec.Replicas == 1);
        await Kubelet.RollOutAsync(fx, deployment, ready: 1);
        await Kubelet.ReadyRuntimePodAsync(fx, deployment, target.Host, target.Port);
        var tier = await fx.WaitAsync<BudgetTier>("tiny-auto", t => t.Status?.Metrics?.PodsSampled == 1 && t.Status.DesiredReplicas == 1);
        output.WriteLine($"first sample: {JsonSerializer.Serialize(tier.Status!.Metrics)}");

        // Steady: the same load, sampled every second, causes no API write.
        await Task.Delay(1500);
        fx.Server.Requests.Reset();
        await Task.Delay(TimeSpan.FromSeconds(10));
        var steadyWrites = fx.Server.Requests.Writes;
        output.WriteLine($"API writes for a steady tier over 10 s: {steadyWrites}");
        Assert.Equal(0, steadyWrites);

        // Load step: 40 waiting + 8 running against a target of 8 per replica.
        using var load = new CancellationTokenSource();
        var clock = Stopwatch.StartNew();
        Task? requests = null;
        if (fake is not null)
        {
            fake.SetLoad(budget, 40, 8);
        }
        else
        {
            requests = RealLoad.SendAsync(target, $"tiny@{budget}", 48, load.Token);
        }

        tier = await fx.WaitAsync<BudgetTier>("tiny-auto", t => t.Status?.DesiredReplicas > 1, TimeSpan.FromSeconds(20));
        var decided = clock.Elapsed;
        output.WriteLine($"load step to scale-up decision: {decided.TotalMilliseconds:0} ms (desired {tier.Status!.DesiredReplicas}: {tier.Status.LastScaleReason})");
        Assert.StartsWith("QueueAboveTarget", tier.Status.LastScaleReason, StringComparison.Ordinal);
        if (fake is not null)
        {
            Assert.Equal(5, tier.Status.DesiredReplicas); // min(ceil(48 / 8), 1 + maxScaleUpStep 4)
        }

        await fx.WaitAsync<V1Deployment>("tiny-auto", d => d.Spec.Replicas == tier.Status.DesiredReplicas);
        var events = await fx.Api.ListAsync<Corev1Event>(ResourceType.For<Corev1Event>(), new ListOptions(OperatorFixture.Namespace), CancellationToken.None);
        Assert.Contains(events.Items, e => e.Reason == "ScaledUp" && e.InvolvedObject.Name == "tiny-auto");
        var metric = fx.Registry;
        using var stream = new MemoryStream();
        await metric.CollectAndExportAsTextAsync(stream);
        // One decision per scale-up: 1 -> 5 (the step limit), and possibly 5 -> 6 by the time the metrics are read.
        var decisions = System.Text.RegularExpressions.Regex.Match(System.Text.Encoding.UTF8.GetString(stream.ToArray()),
            "nestor_operator_scale_decisions_total\\{namespace=\"nestor-test\",tier=\"tiny-auto\",reason=\"QueueAboveTarget\"\\} (\\d+)");
        Assert.True(decisions.Success, "no scale_decisions_total series for the tier's QueueAboveTarget decisions");
        Assert.InRange(int.Parse(decisions.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture), 1, 2);

        await load.CancelAsync();
        if (requests is not null)
        {
            await requests;
        }
    }

    [Fact]
    public async Task MetricsThatGoAwayHoldTheReplicas()
    {
        await using var fake = await FakeRuntimeMetrics.StartAsync();
        fake.SetLoad("full", 30, 2);
        await using var fx = await OperatorFixture.StartAsync(new ControllerSettings { MetricsStatusInterval = TimeSpan.FromSeconds(1) });
        await ModelSteps.ReadyModelAsync(fx, "tiny", Kubelet.Digest('a'), "full");
        await fx.CreateAsync(Objects.Tier("tiny-auto", "tiny", "full", autoscaling: new AutoscalingSpec { MetricsStaleAfterSeconds = 1 }, max: 8));
        var deployment = await fx.WaitAsync<V1Deployment>("tiny-auto", _ => true);
        await Kubelet.ReadyRuntimePodAsync(fx, deployment, "127.0.0.1", fake.Port);
        await fx.WaitAsync<BudgetTier>("tiny-auto", t => t.Status?.DesiredReplicas == 4);
        await Kubelet.RollOutAsync(fx, await fx.WaitAsync<V1Deployment>("tiny-auto", d => d.Spec.Replicas == 4), ready: 4);

        await fake.DisposeAsync(); // the pod's endpoint is gone: scrapes fail
        var tier = await fx.WaitAsync<BudgetTier>("tiny-auto", t => t.Status?.Metrics?.PodsSampled == 0, TimeSpan.FromSeconds(20));
        await Task.Delay(2000);
        tier = await fx.GetRequiredAsync<BudgetTier>("tiny-auto");
        Assert.Equal(4, tier.Status!.DesiredReplicas);
        await fx.WaitAsync<BudgetTier>("tiny-auto", t => Conditions.Find(t.Status?.Conditions, BudgetTierConditions.Degraded)?.Reason == "MetricsMissing");
        Assert.Equal(4, (await fx.GetRequiredAsync<V1Deployment>("tiny-auto")).Spec.Replicas);
    }
}

/// <summary>Concurrent streaming completions against a real `nestor serve` (only with NESTOR_TEST_SERVE_URL).</summary>
internal static class RealLoad
{
    public static async Task SendAsync(Uri server, string model, int concurrency, CancellationToken cancellationToken)
    {
        using var http = new HttpClient { BaseAddress = server };
        var body = JsonSerializer.Serialize(new { model, prompt = "1+1=", max_tokens = 512, stream = true });
        var tasks = Enumerable.Range(0, concurrency).Select(async _ =>
        {
            try
            {
                using var content = new StringContent(body, System.Text.Encoding.UTF8, "application/json");
                using var response = await http.PostAsync("/v1/completions", content, cancellationToken);
                await response.Content.ReadAsStringAsync(cancellationToken);
            }
            catch (Exception e) when (e is OperationCanceledException or HttpRequestException)
            {
            }
        });
        await Task.WhenAll(tasks);
    }
}
