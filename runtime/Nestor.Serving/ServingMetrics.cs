using Prometheus;

namespace Nestor.Serving;

/// <summary>
/// The server's Prometheus metrics, in a registry of their own (one per server, so several can run in one process).
/// Names follow vLLM's, under <c>nestor_</c>; every per-request metric carries the budget that served it.
/// </summary>
public sealed class ServingMetrics
{
    public ServingMetrics()
    {
        Registry = Metrics.NewCustomRegistry();
        var factory = Metrics.WithCustomRegistry(Registry);
        string[] budget = ["budget"];
        Waiting = factory.CreateGauge("nestor_requests_waiting", "Requests queued for a budget, not yet running.", budget);
        Running = factory.CreateGauge("nestor_requests_running", "Requests in the running batch of a budget.", budget);
        TimeToFirstToken = factory.CreateHistogram("nestor_time_to_first_token_seconds", "From arrival to the first generated token.",
            new HistogramConfiguration { LabelNames = budget, Buckets = [0.001, 0.005, 0.01, 0.02, 0.04, 0.06, 0.08, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10, 20, 40, 80] });
        InterTokenLatency = factory.CreateHistogram("nestor_inter_token_latency_seconds", "Between consecutive generated tokens of a request.",
            new HistogramConfiguration { LabelNames = budget, Buckets = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.75, 1, 2.5, 5] });
        EndToEndLatency = factory.CreateHistogram("nestor_e2e_request_latency_seconds", "From arrival to the last token of a request.",
            new HistogramConfiguration { LabelNames = budget, Buckets = [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 15, 20, 30, 40, 50, 60, 120, 240, 480] });
        PromptTokens = factory.CreateCounter("nestor_prompt_tokens_total", "Prompt tokens prefilled.", budget);
        GenerationTokens = factory.CreateCounter("nestor_generation_tokens_total", "Tokens generated.", budget);
        Requests = factory.CreateCounter("nestor_requests_total",
            "Requests by outcome: stop, length (finished); cancelled (client went away); error; rejected_queue_full, rejected_draining, rejected_not_ready; degraded (served by a smaller budget, counted under the budget that served).",
            ["budget", "outcome"]);
        BatchSize = factory.CreateHistogram("nestor_batch_size", "Sequences in one forward pass of a budget (prefill or decode).",
            new HistogramConfiguration { LabelNames = budget, Buckets = [1, 2, 4, 8, 16, 32, 64, 128] });
        ForwardSeconds = factory.CreateHistogram("nestor_forward_seconds", "Time of one forward pass of a budget (the engine alone), by phase: prefill or decode.",
            new HistogramConfiguration { LabelNames = ["budget", "phase"], Buckets = [0.0005, 0.001, 0.002, 0.004, 0.008, 0.016, 0.032, 0.064, 0.128, 0.256, 0.512, 1, 2, 4] });
        ModelInfo = factory.CreateGauge("nestor_model_info", "The loaded checkpoint (value 1).", ["model", "digest", "budgets", "load_only", "dtype"]);
        Ready = factory.CreateGauge("nestor_ready", "1 when the server takes requests (loaded, warmed up, not draining).");
    }

    public CollectorRegistry Registry { get; }

    public Gauge Waiting { get; }

    public Gauge Running { get; }

    public Histogram TimeToFirstToken { get; }

    public Histogram InterTokenLatency { get; }

    public Histogram EndToEndLatency { get; }

    public Counter PromptTokens { get; }

    public Counter GenerationTokens { get; }

    public Counter Requests { get; }

    public Histogram BatchSize { get; }

    public Histogram ForwardSeconds { get; }

    public Gauge ModelInfo { get; }

    public Gauge Ready { get; }
}
