namespace Nestor.Operator.Controllers.Shared;

/// <summary>Operator-wide settings the controllers build children with.</summary>
public sealed record ControllerSettings
{
    /// <summary>The runtime image (`nestor`) used when a model or run names none.</summary>
    public string RuntimeImage { get; init; } = DefaultRuntimeImage;

    /// <summary>nestor-runtime:&lt;the operator's version&gt;-cpu, the image `make images` builds with it.</summary>
    public static string DefaultRuntimeImage =>
        $"nestor-runtime:{typeof(ControllerSettings).Assembly.GetName().Version?.ToString(3) ?? "0.0.0"}-cpu";

    /// <summary>How long one pod's /metrics scrape may take.</summary>
    public TimeSpan ScrapeTimeout { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>How long one Prometheus query may take (metricsSource type Prometheus).</summary>
    public TimeSpan PrometheusTimeout { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>The least time between two status writes that only refresh the observed load (decisions are written at once).</summary>
    public TimeSpan MetricsStatusInterval { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>The container port name of runtime pods that serves /metrics (default port 8000 when a pod declares none).</summary>
    public string MetricsPortName { get; init; } = "http";
}
