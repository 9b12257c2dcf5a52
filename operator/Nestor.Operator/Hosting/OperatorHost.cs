using k8s;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Nestor.Operator.Controllers;
using Nestor.Operator.Core.Hosting;
using Nestor.Operator.Core.Informers;
using Nestor.Operator.Core.Kube;
using Nestor.Operator.Core.Leadership;
using Nestor.Operator.Core.Metrics;
using Prometheus;

namespace Nestor.Operator.Hosting;

/// <summary>The operator process: an API client, the manager with its controllers, and the health/metrics endpoint.</summary>
public sealed class OperatorHost : IAsyncDisposable
{
    private readonly WebApplication _web;

    private OperatorHost(OperatorOptions options, WebApplication web, Manager manager, NestorControllers controllers)
    {
        Options = options;
        _web = web;
        Manager = manager;
        Controllers = controllers;
    }

    public OperatorOptions Options { get; }

    public Manager Manager { get; }

    public NestorControllers Controllers { get; }

    /// <summary>The addresses /metrics, /healthz and /readyz listen on (the bound ports, once started).</summary>
    public IReadOnlyList<string> Urls =>
        _web.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses.ToList() ?? [];

    public static OperatorHost Create(OperatorOptions options, CollectorRegistry? registry = null)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.Logging.AddSimpleConsole(o =>
        {
            o.SingleLine = true;
            o.TimestampFormat = "HH:mm:ss.fff ";
        });
        builder.Logging.SetMinimumLevel(Enum.Parse<LogLevel>(options.LogLevel, ignoreCase: true));
        builder.WebHost.UseUrls("http://" + options.MetricsAddress);
        var web = builder.Build();

        var configuration = options.Kubeconfig is not null
            ? KubernetesClientConfiguration.BuildConfigFromConfigFile(options.Kubeconfig)
            : KubernetesClientConfiguration.BuildDefaultConfig();
        var metrics = new OperatorMetrics(registry ?? Metrics.NewCustomRegistry());
        var api = new KubeApiClient(configuration, metrics);
        var manager = new Manager(api, new ManagerOptions
        {
            Namespaces = options.Namespaces,
            Workers = options.Workers,
            LeaderElection = new LeaderElectionOptions
            {
                Enabled = options.LeaderElection,
                LeaseNamespace = options.LeaseNamespace,
                LeaseName = options.LeaseName,
            },
            Informers = new InformerOptions(),
        }, web.Services.GetRequiredService<ILoggerFactory>(), metrics);
        var controllers = NestorControllers.Register(manager, options.Controllers, metrics.Registry, web.Services.GetRequiredService<ILoggerFactory>());
        web.MapOperatorEndpoints(manager);
        return new OperatorHost(options, web, manager, controllers);
    }

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        await _web.StartAsync(cancellationToken);
        try
        {
            await Manager.RunAsync(cancellationToken);
        }
        finally
        {
            await _web.StopAsync(CancellationToken.None);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _web.DisposeAsync();
        Controllers.Dispose();
        Manager.Api.Dispose();
    }
}
