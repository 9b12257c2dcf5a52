using Prometheus;

namespace Nestor.Operator.Core.Metrics;

/// <summary>The operator's Prometheus metrics. One instance per registry, so tests can run several operators in one process.</summary>
public sealed class OperatorMetrics
{
    private readonly Counter _reconciles;
    private readonly Counter _reconcileErrors;
    private readonly Histogram _reconcileDuration;
    private readonly Gauge _queueDepth;
    private readonly Histogram _queueWait;
    private readonly Counter _queueRetries;
    private readonly Counter _watchRestarts;
    private readonly Counter _apiRequests;
    private readonly Gauge _leader;
    private readonly Gauge _activeWorkers;

    public OperatorMetrics(CollectorRegistry? registry = null)
    {
        Registry = registry ?? Prometheus.Metrics.DefaultRegistry;
        var factory = Prometheus.Metrics.WithCustomRegistry(Registry);
        _reconciles = factory.CreateCounter("nestor_operator_reconcile_total", "Reconciles by controller and result.", "controller", "result");
        _reconcileErrors = factory.CreateCounter("nestor_operator_reconcile_errors_total", "Reconciles that failed, by controller.", "controller");
        _reconcileDuration = factory.CreateHistogram("nestor_operator_reconcile_duration_seconds", "Reconcile duration.",
            new HistogramConfiguration { LabelNames = ["controller"], Buckets = Histogram.ExponentialBuckets(0.001, 2, 15) });
        _queueDepth = factory.CreateGauge("nestor_operator_workqueue_depth", "Keys waiting in the work queue.", "controller");
        _queueWait = factory.CreateHistogram("nestor_operator_workqueue_wait_seconds", "Time a key waited in the queue before a worker took it.",
            new HistogramConfiguration { LabelNames = ["controller"], Buckets = Histogram.ExponentialBuckets(0.001, 2, 15) });
        _queueRetries = factory.CreateCounter("nestor_operator_workqueue_retries_total", "Rate-limited requeues.", "controller");
        _watchRestarts = factory.CreateCounter("nestor_operator_watch_restarts_total", "Watch restarts by resource and reason.", "resource", "reason");
        _apiRequests = factory.CreateCounter("nestor_operator_api_requests_total", "Requests to the API server.", "verb", "resource", "code");
        _leader = factory.CreateGauge("nestor_operator_leader", "1 while this instance holds the leader lease.");
        _activeWorkers = factory.CreateGauge("nestor_operator_active_workers", "Workers reconciling now.", "controller");
    }

    public CollectorRegistry Registry { get; }

    public void Reconciled(string controller, string result, TimeSpan duration)
    {
        _reconciles.WithLabels(controller, result).Inc();
        _reconcileDuration.WithLabels(controller).Observe(duration.TotalSeconds);
        if (result == "error")
        {
            _reconcileErrors.WithLabels(controller).Inc();
        }
    }

    public void QueueDepth(string controller, int depth) => _queueDepth.WithLabels(controller).Set(depth);

    public void QueueWait(string controller, TimeSpan wait) => _queueWait.WithLabels(controller).Observe(wait.TotalSeconds);

    public void QueueRetry(string controller) => _queueRetries.WithLabels(controller).Inc();

    public void WatchRestart(string resource, string reason) => _watchRestarts.WithLabels(resource, reason).Inc();

    public void ApiRequest(string verb, string resource, string code) => _apiRequests.WithLabels(verb, resource, code).Inc();

    public void Leader(bool isLeader) => _leader.Set(isLeader ? 1 : 0);

    public void ActiveWorkers(string controller, int count) => _activeWorkers.WithLabels(controller).Set(count);

    /// <summary>Sum of API requests so far, optionally only writes (everything but get/list/watch).</summary>
    public double ApiRequestCount(bool writesOnly = false)
    {
        double total = 0;
        foreach (var labels in _apiRequests.GetAllLabelValues())
        {
            if (writesOnly && labels[0] is "get" or "list" or "watch")
            {
                continue;
            }

            total += _apiRequests.WithLabels(labels).Value;
        }

        return total;
    }
}
