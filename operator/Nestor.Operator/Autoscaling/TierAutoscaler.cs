using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.Json.Nodes;
using k8s;
using k8s.Models;
using Microsoft.Extensions.Logging;
using Nestor.Api;
using Nestor.Api.V1Alpha1;
using Nestor.Operator.Controllers.BudgetTiers;
using Nestor.Operator.Controllers.Shared;
using Nestor.Operator.Core.Events;
using Nestor.Operator.Core.Kube;

namespace Nestor.Operator.Autoscaling;

/// <summary>
/// One loop per autoscaled tier, started by the BudgetTier reconciler while the operator leads:
/// every syncPeriodSeconds it scrapes the ready pods that serve the tier's budget, feeds the sample
/// history to <see cref="Autoscaler.Decide"/>, and records a new decision in status.desiredReplicas
/// (the reconciler then sizes the Deployment), lastScaleTime and lastScaleReason, with an Event and a
/// metric. The observed load in status.metrics is refreshed at most every MetricsStatusInterval and
/// only when it changed, so a steady tier causes no API writes.
/// </summary>
public sealed class TierAutoscaler(ControllerContext context, PodMetricsScraper scraper, PrometheusQuerySource prometheus, AutoscalerMetrics metrics,
    ILogger<TierAutoscaler> logger)
{
    private const int SamplesKept = 16;
    private static readonly ResourceType TierType = ResourceType.For<BudgetTier>();
    private readonly ConcurrentDictionary<ObjectKey, Loop> _loops = new();
    private readonly Lock _lock = new();

    /// <summary>The tiers with a live loop.</summary>
    public IReadOnlyList<ObjectKey> Running => [.. _loops.Where(l => !l.Value.Task.IsCompleted).Select(l => l.Key)];

    /// <summary>Starts the tier's loop unless one runs; it stops when the token fires or <see cref="Stop"/> is called.</summary>
    public void Ensure(ObjectKey key, CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            if (_loops.TryGetValue(key, out var existing) && !existing.Task.IsCompleted && !existing.Cancellation.IsCancellationRequested)
            {
                return;
            }

            var cancellation = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            var loop = new Loop(cancellation);
            _loops[key] = loop;
            loop.Task = Task.Run(() => RunAsync(key, loop), CancellationToken.None);
        }
    }

    public void Stop(ObjectKey key)
    {
        lock (_lock)
        {
            if (_loops.TryRemove(key, out var loop))
            {
                loop.Cancellation.Cancel();
            }
        }
    }

    private async Task RunAsync(ObjectKey key, Loop loop)
    {
        var token = loop.Cancellation.Token;
        var run = new TierRun();
        logger.LogInformation("Autoscaler for tier {Tier} started", key);
        try
        {
            while (!token.IsCancellationRequested)
            {
                var tier = context.Cache<BudgetTier>().Get(key);
                if (tier?.Spec.Autoscaling is not { Enabled: true } autoscaling)
                {
                    return;
                }

                var started = Stopwatch.StartNew();
                try
                {
                    await SyncAsync(tier, run, token);
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    logger.LogWarning(e, "Autoscaler sync of tier {Tier} failed", key);
                }

                var wait = TimeSpan.FromSeconds(autoscaling.SyncPeriodSeconds) - started.Elapsed;
                if (wait > TimeSpan.Zero)
                {
                    await Task.Delay(wait, context.Time, token);
                }
            }
        }
        catch (OperationCanceledException) when (token.IsCancellationRequested)
        {
        }
        finally
        {
            lock (_lock)
            {
                if (_loops.TryGetValue(key, out var current) && current == loop)
                {
                    _loops.TryRemove(key, out _);
                }
            }

            metrics.Forget(key.Namespace ?? "", key.Name);
            logger.LogInformation("Autoscaler for tier {Tier} stopped", key);
        }
    }

    private async Task SyncAsync(BudgetTier tier, TierRun run, CancellationToken cancellationToken)
    {
        var started = Stopwatch.StartNew();
        var ns = tier.Metadata.NamespaceProperty;
        var policy = PolicyFromSpec.For(tier);
        var now = context.Time.GetUtcNow();
        var current = tier.Status?.DesiredReplicas ?? BudgetTierReconciler.DesiredReplicas(tier, null);
        DateTimeOffset? lastScale = tier.Status?.LastScaleTime is { } t ? new DateTimeOffset(DateTime.SpecifyKind(t, DateTimeKind.Utc)) : null;
        run.State ??= new ScaleState(current, [], current == 0 ? lastScale ?? now - policy.IdleBeforeZero : null, lastScale);
        if (run.State.Replicas != current)
        {
            run.State = run.State with { Replicas = current };
        }

        TierSample sample;
        var scrapeErrors = 0;
        if (tier.Spec.Autoscaling?.MetricsSource.Type == MetricsSourceType.Prometheus)
        {
            sample = await prometheus.SampleAsync(tier, now, cancellationToken);
            now = context.Time.GetUtcNow();
        }
        else
        {
            (sample, scrapeErrors) = await ScrapePodsAsync(tier, run, cancellationToken);
            now = sample.At;
        }

        run.Samples.Add(sample);
        if (run.Samples.Count > SamplesKept)
        {
            run.Samples.RemoveAt(0);
        }

        var decision = Autoscaler.Decide(run.State, run.Samples, policy, now);
        run.State = decision.State;
        metrics.Sampled(ns ?? "", tier.Metadata.Name, sample, decision.Replicas, scrapeErrors, started.Elapsed);

        var observed = Observed(sample, now);
        var changed = decision.Replicas != current;
        var metricsMoved = !Same(tier.Status?.Metrics, observed);
        if (!changed && !(metricsMoved && now - run.LastMetricsWrite >= context.Settings.MetricsStatusInterval))
        {
            return;
        }

        var patch = new BudgetTierStatus { DesiredReplicas = decision.Replicas, Metrics = observed };
        if (changed)
        {
            patch.LastScaleTime = now.UtcDateTime;
            patch.LastScaleReason = $"{decision.Reason}: {decision.Message}";
        }

        var body = new JsonObject { ["status"] = JsonNode.Parse(KubernetesJson.Serialize(patch)) };
        await context.Manager.Api.PatchAsync<BudgetTier>(TierType, ns, tier.Metadata.Name, PatchKind.Merge, body.ToJsonString(), cancellationToken, subresource: "status");
        run.LastMetricsWrite = now;
        if (changed)
        {
            var direction = decision.Replicas > current ? "ScaledUp" : "ScaledDown";
            metrics.Decided(ns ?? "", tier.Metadata.Name, decision.Reason);
            context.Events.Record(tier, EventRecorder.Normal, direction, $"desired replicas {current} → {decision.Replicas}: {decision.Reason}: {decision.Message}");
            logger.LogInformation("Tier {Namespace}/{Tier}: desired replicas {From} -> {To} ({Reason}: {Message})",
                ns, tier.Metadata.Name, current, decision.Replicas, decision.Reason, decision.Message);
        }
    }

    private async Task<(TierSample Sample, int Errors)> ScrapePodsAsync(BudgetTier tier, TierRun run, CancellationToken cancellationToken)
    {
        var pods = context.Cache<V1Pod>()
            .ListByLabels(new Dictionary<string, string> { [NestorLabels.Model] = tier.Spec.ModelRef.Name, ["app.kubernetes.io/name"] = NestorLabels.RuntimeComponent },
                tier.Metadata.NamespaceProperty)
            .Where(TierSampler.IsReady)
            .ToList();
        var scrapes = await Task.WhenAll(pods.Select(p => scraper.ScrapeAsync(p, cancellationToken)));
        var window = TimeSpan.FromSeconds((tier.Spec.Autoscaling ?? new AutoscalingSpec()).LatencyWindowSeconds);
        var sample = run.Sampler.Sample(tier.Metadata.Name, tier.Spec.Budget, scrapes, context.Time.GetUtcNow(), window);
        return (sample, scrapes.Count(s => s.Samples is null));
    }

    private static ObservedTierMetrics Observed(TierSample sample, DateTimeOffset now) => new()
    {
        Waiting = (int)Math.Round(sample.Waiting),
        Running = (int)Math.Round(sample.Running),
        TtftP95Ms = sample.TtftP95 is { } ttft ? Math.Round(ttft.TotalMilliseconds, 1) : null,
        E2eP95Ms = sample.E2eP95 is { } e2e ? Math.Round(e2e.TotalMilliseconds, 1) : null,
        PodsSampled = sample.PodsSampled,
        SampledAt = now.UtcDateTime,
    };

    /// <summary>Equal load (the sample time aside): nothing new to write.</summary>
    private static bool Same(ObservedTierMetrics? a, ObservedTierMetrics b) =>
        a is not null && a.Waiting == b.Waiting && a.Running == b.Running && a.PodsSampled == b.PodsSampled
        && Close(a.TtftP95Ms, b.TtftP95Ms) && Close(a.E2eP95Ms, b.E2eP95Ms);

    private static bool Close(double? a, double? b) =>
        (a, b) switch
        {
            (null, null) => true,
            ({ } x, { } y) => Math.Abs(x - y) <= Math.Max(1, 0.05 * Math.Max(x, y)),
            _ => false,
        };

    private sealed class Loop(CancellationTokenSource cancellation)
    {
        public CancellationTokenSource Cancellation { get; } = cancellation;

        public Task Task { get; set; } = Task.CompletedTask;
    }

    private sealed class TierRun
    {
        public TierSampler Sampler { get; } = new();

        public List<TierSample> Samples { get; } = [];

        public ScaleState? State { get; set; }

        public DateTimeOffset LastMetricsWrite { get; set; } = DateTimeOffset.MinValue;
    }
}
