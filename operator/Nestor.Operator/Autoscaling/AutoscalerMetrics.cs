using Prometheus;

namespace Nestor.Operator.Autoscaling;

/// <summary>The autoscaler's own metrics on the operator's /metrics.</summary>
public sealed class AutoscalerMetrics
{
    private readonly Gauge _desired;
    private readonly Gauge _load;
    private readonly Counter _decisions;
    private readonly Counter _scrapeErrors;
    private readonly Histogram _syncDuration;

    public AutoscalerMetrics(CollectorRegistry registry)
    {
        var factory = Metrics.WithCustomRegistry(registry);
        _desired = factory.CreateGauge("nestor_operator_tier_desired_replicas", "The autoscaler's desired replicas per tier.", "namespace", "tier");
        _load = factory.CreateGauge("nestor_operator_tier_load", "Requests waiting or running across a tier's pods at the last sample.", "namespace", "tier", "state");
        _decisions = factory.CreateCounter("nestor_operator_scale_decisions_total", "Decisions that changed a tier's desired replicas, by reason.", "namespace", "tier", "reason");
        _scrapeErrors = factory.CreateCounter("nestor_operator_pod_scrape_errors_total", "Pod /metrics scrapes that failed.", "namespace", "tier");
        _syncDuration = factory.CreateHistogram("nestor_operator_autoscaler_sync_seconds", "Time of one autoscaler sync (scrape, decide, write).",
            new HistogramConfiguration { LabelNames = ["namespace"], Buckets = Histogram.ExponentialBuckets(0.001, 2, 14) });
    }

    public void Sampled(string ns, string tier, TierSample sample, int desired, int scrapeErrors, TimeSpan duration)
    {
        _desired.WithLabels(ns, tier).Set(desired);
        _load.WithLabels(ns, tier, "waiting").Set(sample.Waiting);
        _load.WithLabels(ns, tier, "running").Set(sample.Running);
        if (scrapeErrors > 0)
        {
            _scrapeErrors.WithLabels(ns, tier).Inc(scrapeErrors);
        }

        _syncDuration.WithLabels(ns).Observe(duration.TotalSeconds);
    }

    public void Decided(string ns, string tier, string reason) => _decisions.WithLabels(ns, tier, reason).Inc();

    public void Forget(string ns, string tier)
    {
        _desired.RemoveLabelled(ns, tier);
        _load.RemoveLabelled(ns, tier, "waiting");
        _load.RemoveLabelled(ns, tier, "running");
    }
}
