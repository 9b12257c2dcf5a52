namespace Nestor.Operator.Hosting;

/// <summary>Everything the operator is configured with, from flags or the environment.</summary>
public sealed record OperatorOptions
{
    /// <summary>A kubeconfig file; null: KUBECONFIG, ~/.kube/config, then the in-cluster service account.</summary>
    public string? Kubeconfig { get; init; }

    /// <summary>Namespaces to watch; empty: all.</summary>
    public IReadOnlyList<string> Namespaces { get; init; } = [];

    public int Workers { get; init; } = 2;

    /// <summary>host:port for /metrics, /healthz and /readyz.</summary>
    public string MetricsAddress { get; init; } = "0.0.0.0:8080";

    public bool LeaderElection { get; init; } = true;

    /// <summary>Where the leader Lease lives (default: the pod's namespace, else "default").</summary>
    public string LeaseNamespace { get; init; } = "default";

    public string LeaseName { get; init; } = "nestor-operator";

    public string LogLevel { get; init; } = "Information";

    /// <summary>The runtime image of serving, loader and trainer pods whose object names none.</summary>
    public string RuntimeImage { get; init; } = DefaultRuntimeImage;

    /// <summary>nestor-runtime:&lt;the operator's version&gt;-cpu, the image `make images` builds with it.</summary>
    public static string DefaultRuntimeImage =>
        $"nestor-runtime:{typeof(OperatorOptions).Assembly.GetName().Version?.ToString(3) ?? "0.0.0"}-cpu";
}
