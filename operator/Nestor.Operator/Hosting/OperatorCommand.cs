using System.CommandLine;
using Nestor.Operator.Controllers.Shared;

namespace Nestor.Operator.Hosting;

/// <summary>`nestor-operator`: flags, each with an environment variable fallback.</summary>
public static class OperatorCommand
{
    public static RootCommand Build(Action<OperatorHost>? configure = null)
    {
        var kubeconfig = new Option<string?>("--kubeconfig") { Description = "kubeconfig file (default: KUBECONFIG, ~/.kube/config, then in-cluster)" };
        var namespaces = new Option<string?>("--namespaces") { Description = "comma-separated namespaces to watch (env NESTOR_NAMESPACES; default all)" };
        var workers = new Option<int?>("--workers") { Description = "workers per controller (env NESTOR_WORKERS; default 2)" };
        var metrics = new Option<string?>("--metrics-address") { Description = "host:port of /metrics, /healthz, /readyz (env NESTOR_METRICS_ADDRESS; default 0.0.0.0:8080)" };
        var leaderElect = new Option<bool?>("--leader-elect") { Description = "elect a leader with a Lease (env NESTOR_LEADER_ELECT; default true)" };
        var leaseNamespace = new Option<string?>("--lease-namespace") { Description = "namespace of the leader Lease (env NESTOR_LEASE_NAMESPACE, else POD_NAMESPACE, else default)" };
        var runtimeImage = new Option<string?>("--runtime-image") { Description = "image of loader, trainer and serving pods when a resource names none (env NESTOR_RUNTIME_IMAGE; default nestor-runtime:<version>-cpu)" };
        var logLevel = new Option<string?>("--log-level") { Description = "Trace, Debug, Information, Warning, Error (env NESTOR_LOG_LEVEL)" };

        var root = new RootCommand("Nestor operator: reconciles ElasticModel, BudgetTier and CompressionRun, and autoscales tiers.")
        {
            kubeconfig, namespaces, workers, metrics, leaderElect, leaseNamespace, runtimeImage, logLevel,
        };
        root.SetAction(async (parse, cancellationToken) =>
        {
            static string? Env(string name) => Environment.GetEnvironmentVariable(name) is { Length: > 0 } v ? v : null;
            var options = new OperatorOptions
            {
                Kubeconfig = parse.GetValue(kubeconfig),
                Namespaces = (parse.GetValue(namespaces) ?? Env("NESTOR_NAMESPACES") ?? "")
                    .Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries),
                Workers = parse.GetValue(workers) ?? (int.TryParse(Env("NESTOR_WORKERS"), out var w) ? w : 2),
                MetricsAddress = parse.GetValue(metrics) ?? Env("NESTOR_METRICS_ADDRESS") ?? "0.0.0.0:8080",
                LeaderElection = parse.GetValue(leaderElect) ?? (!bool.TryParse(Env("NESTOR_LEADER_ELECT"), out var le) || le),
                LeaseNamespace = parse.GetValue(leaseNamespace) ?? Env("NESTOR_LEASE_NAMESPACE") ?? Env("POD_NAMESPACE") ?? "default",
                LogLevel = parse.GetValue(logLevel) ?? Env("NESTOR_LOG_LEVEL") ?? "Information",
                Controllers = new ControllerSettings
                {
                    RuntimeImage = parse.GetValue(runtimeImage) ?? Env("NESTOR_RUNTIME_IMAGE") ?? ControllerSettings.DefaultRuntimeImage,
                },
            };
            if (options.Workers < 1)
            {
                Console.Error.WriteLine("--workers must be at least 1");
                return 2;
            }

            await using var host = OperatorHost.Create(options);
            configure?.Invoke(host);
            await host.RunAsync(cancellationToken);
            return 0;
        });
        return root;
    }
}
