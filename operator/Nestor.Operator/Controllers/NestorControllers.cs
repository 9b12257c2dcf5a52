using k8s.Models;
using Microsoft.Extensions.Logging;
using Nestor.Api.V1Alpha1;
using Nestor.Operator.Autoscaling;
using Nestor.Operator.Controllers.BudgetTiers;
using Nestor.Operator.Controllers.CompressionRuns;
using Nestor.Operator.Controllers.ElasticModels;
using Nestor.Operator.Controllers.Shared;
using Nestor.Operator.Core.Hosting;
using Nestor.Operator.Core.Kube;
using Prometheus;

namespace Nestor.Operator.Controllers;

/// <summary>The three Nestor controllers and the tier autoscaler, registered on a manager.</summary>
public sealed class NestorControllers : IDisposable
{
    private readonly HttpClient _scrapeClient;

    private NestorControllers(ControllerContext context, TierAutoscaler autoscaler, HttpClient scrapeClient)
    {
        Context = context;
        Autoscaler = autoscaler;
        _scrapeClient = scrapeClient;
    }

    public ControllerContext Context { get; }

    public TierAutoscaler Autoscaler { get; }

    public static NestorControllers Register(Manager manager, ControllerSettings settings, CollectorRegistry registry,
        ILoggerFactory loggerFactory, TimeProvider? time = null)
    {
        var context = new ControllerContext(manager, settings, time);
        // Pod IPs are reached directly, without a proxy; connections are recycled as pods come and go.
        var http = new HttpClient(new SocketsHttpHandler { UseProxy = false, PooledConnectionLifetime = TimeSpan.FromMinutes(1) })
        {
            Timeout = Timeout.InfiniteTimeSpan,
        };
        var scraper = new PodMetricsScraper(http, settings.ScrapeTimeout, settings.MetricsPortName, loggerFactory.CreateLogger<PodMetricsScraper>());
        var prometheus = new PrometheusQuerySource(http, settings.PrometheusTimeout, loggerFactory.CreateLogger<PrometheusQuerySource>());
        var autoscaler = new TierAutoscaler(context, scraper, prometheus, new AutoscalerMetrics(registry), loggerFactory.CreateLogger<TierAutoscaler>());

        manager.NewController<ElasticModel>(ElasticModelReconciler.ControllerName,
                new ElasticModelReconciler(context, loggerFactory.CreateLogger<ElasticModelReconciler>()))
            .Owns<V1PersistentVolumeClaim>()
            .Owns<V1Job>()
            .Watches<V1PersistentVolumeClaim>(pvc => ModelsOfClaim(context, pvc))
            .Watches<V1Pod>(pod => ModelsOfLoaderPod(pod))
            .Watches<BudgetTier>(tier => [new ObjectKey(tier.Metadata.NamespaceProperty, tier.Spec.ModelRef.Name)])
            .Watches<CompressionRun>(run => ModelsOfRun(context, run))
            .Build();

        manager.NewController<BudgetTier>(BudgetTierReconciler.ControllerName,
                new BudgetTierReconciler(context, autoscaler, loggerFactory.CreateLogger<BudgetTierReconciler>()))
            // A tier's Deployment and Service carry its name: any change to an object of that name (its own,
            // or one that blocks it by being there) wakes the tier.
            .Watches<V1Deployment>(deployment => [ObjectKey.Of(deployment)])
            .Watches<V1Service>(service => [ObjectKey.Of(service)])
            .Watches<ElasticModel>(model => context.Cache<BudgetTier>().List(model.Metadata.NamespaceProperty)
                .Where(t => t.Spec.ModelRef.Name == model.Metadata.Name)
                .Select(ObjectKey.Of))
            .Build();

        manager.NewController<CompressionRun>(CompressionRunReconciler.ControllerName,
                new CompressionRunReconciler(context, loggerFactory.CreateLogger<CompressionRunReconciler>()))
            .Owns<V1ConfigMap>()
            .Owns<V1Job>()
            .Owns<V1Service>()
            .Watches<V1Pod>(pod => RunsOfTrainerPod(pod))
            .Watches<V1Job>(job => job.Metadata.Name.EndsWith("-train", StringComparison.Ordinal)
                ? [new ObjectKey(job.Metadata.NamespaceProperty, job.Metadata.Name[..^"-train".Length])]
                : [])
            .Watches<ElasticModel>(model => context.Cache<CompressionRun>().List(model.Metadata.NamespaceProperty)
                .Where(r => r.Spec.Output.ElasticModelRef?.Name == model.Metadata.Name)
                .Select(ObjectKey.Of))
            .Build();

        return new NestorControllers(context, autoscaler, http);
    }

    public void Dispose() => _scrapeClient.Dispose();

    /// <summary>The models whose weight claim this is: made from their template (labelled) or named in their spec.</summary>
    private static IEnumerable<ObjectKey> ModelsOfClaim(ControllerContext context, V1PersistentVolumeClaim pvc) =>
        context.Cache<ElasticModel>().List(pvc.Metadata.NamespaceProperty)
            .Where(m => m.Spec.WeightVolume.ClaimName == pvc.Metadata.Name || pvc.Metadata.Label(Nestor.Api.NestorLabels.Model) == m.Metadata.Name)
            .Select(ObjectKey.Of);

    /// <summary>A loader pod's termination message is the load's result: its changes wake the model.</summary>
    private static IEnumerable<ObjectKey> ModelsOfLoaderPod(V1Pod pod) =>
        pod.Metadata.Label(LoaderJobBuilder.LoaderModelLabel) is { } model
            ? [new ObjectKey(pod.Metadata.NamespaceProperty, model)]
            : [];

    private static IEnumerable<ObjectKey> RunsOfTrainerPod(V1Pod pod) =>
        pod.Metadata.Label(Nestor.Api.NestorLabels.CompressionRun) is { } run
            ? [new ObjectKey(pod.Metadata.NamespaceProperty, run)]
            : [];

    private static IEnumerable<ObjectKey> ModelsOfRun(ControllerContext context, CompressionRun run) =>
        context.Cache<ElasticModel>().List(run.Metadata.NamespaceProperty)
            .Where(m => m.Spec.Source.CompressionRunRef?.Name == run.Metadata.Name)
            .Select(ObjectKey.Of);
}
