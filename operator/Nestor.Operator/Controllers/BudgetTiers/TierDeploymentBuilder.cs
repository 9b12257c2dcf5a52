using System.Globalization;
using k8s.Models;
using Nestor.Api;
using Nestor.Api.V1Alpha1;
using Nestor.Operator.Controllers.Shared;

namespace Nestor.Operator.Controllers.BudgetTiers;

/// <summary>
/// The tier's Deployment: `nestor serve` for one budget of the model's checkpoint, the weight volume
/// mounted read-only, probes on /readyz and /healthz, a preStop delay and a grace period so that no
/// stream is cut, and the checkpoint digest in the pod template so that a new digest rolls the tier.
/// </summary>
public static class TierDeploymentBuilder
{
    public const int ContainerPort = 8000;
    public const string ContainerName = "runtime";
    public const string WeightsVolume = "weights";

    /// <summary>Seconds between readiness failing and the process getting SIGTERM, so endpoints drop the pod first.</summary>
    public const long PreStopSleepSeconds = 5;

    public static Dictionary<string, string> SelectorLabels(BudgetTier tier) => new() { [NestorLabels.Tier] = tier.Metadata.Name };

    public static Dictionary<string, string> PodLabels(BudgetTier tier) => new(SelectorLabels(tier))
    {
        [NestorLabels.Model] = tier.Spec.ModelRef.Name,
        [NestorLabels.Budget] = tier.Spec.Budget,
        ["app.kubernetes.io/name"] = NestorLabels.RuntimeComponent,
        ["app.kubernetes.io/instance"] = tier.Metadata.Name,
        ["app.kubernetes.io/managed-by"] = "nestor-operator",
    };

    public static V1Deployment Build(BudgetTier tier, ElasticModel model, CheckpointStatus checkpoint, string claimName,
        int replicas, ControllerSettings settings)
    {
        var runtime = model.Spec.Runtime ?? new RuntimeDefaults();
        var mountPath = model.Spec.WeightVolume.MountPath;
        var gpu = tier.Spec.Gpu ?? runtime.Gpu;
        var labels = PodLabels(tier);
        var deployment = new V1Deployment
        {
            Metadata = new V1ObjectMeta
            {
                Name = tier.Metadata.Name,
                NamespaceProperty = tier.Metadata.NamespaceProperty,
                Labels = new Dictionary<string, string>(labels),
            },
            Spec = new V1DeploymentSpec
            {
                Replicas = replicas,
                Selector = new V1LabelSelector { MatchLabels = SelectorLabels(tier) },
                Strategy = new V1DeploymentStrategy
                {
                    Type = "RollingUpdate",
                    RollingUpdate = new V1RollingUpdateDeployment { MaxSurge = "25%", MaxUnavailable = 0 },
                },
                Template = new V1PodTemplateSpec
                {
                    Metadata = new V1ObjectMeta
                    {
                        Labels = labels,
                        Annotations = new Dictionary<string, string>
                        {
                            [NestorLabels.CheckpointDigestAnnotation] = checkpoint.Digest,
                            ["prometheus.io/scrape"] = "true",
                            ["prometheus.io/port"] = ContainerPort.ToString(CultureInfo.InvariantCulture),
                            ["prometheus.io/path"] = "/metrics",
                        },
                    },
                    Spec = new V1PodSpec
                    {
                        TerminationGracePeriodSeconds = tier.Spec.TerminationGracePeriodSeconds,
                        AutomountServiceAccountToken = false,
                        EnableServiceLinks = false,
                        SecurityContext = PodDefaults.PodSecurity(),
                        ImagePullSecrets = runtime.ImagePullSecrets,
                        NodeSelector = PodDefaults.WithGpuProduct(tier.Spec.NodeSelector ?? runtime.NodeSelector, gpu),
                        Tolerations = tier.Spec.Tolerations ?? runtime.Tolerations,
                        Affinity = tier.Spec.Affinity ?? runtime.Affinity,
                        PriorityClassName = runtime.PriorityClassName,
                        Containers = [Container(tier, model, checkpoint, runtime, gpu, mountPath, settings)],
                        Volumes =
                        [
                            new V1Volume
                            {
                                Name = WeightsVolume,
                                PersistentVolumeClaim = new V1PersistentVolumeClaimVolumeSource { ClaimName = claimName, ReadOnlyProperty = true },
                            },
                            PodDefaults.Tmp(),
                        ],
                    },
                },
            },
        };
        return deployment;
    }

    /// <summary>The `nestor serve` arguments for the tier (flags of the runtime's contract).</summary>
    public static List<string> ServeArgs(BudgetTier tier, ElasticModel model, CheckpointStatus checkpoint, string mountPath)
    {
        var args = new List<string> { "serve", "--checkpoint", $"{mountPath.TrimEnd('/')}/{checkpoint.Path}" };
        if (tier.Spec.LoadFullModel)
        {
            var all = model.Status?.Budgets?.Select(b => b.Name).ToList() ?? [];
            if (all.Count > 0)
            {
                args.AddRange(["--budgets", string.Join(',', all)]);
            }

            args.AddRange(["--default-budget", tier.Spec.Budget]);
        }
        else
        {
            args.AddRange(["--budgets", tier.Spec.Budget, "--default-budget", tier.Spec.Budget, "--load-only", tier.Spec.Budget]);
        }

        var settings = tier.Spec.Runtime;
        void Add(string flag, int? value)
        {
            if (value is { } v)
            {
                args.AddRange([flag, v.ToString(CultureInfo.InvariantCulture)]);
            }
        }

        Add("--max-batch", settings?.MaxBatch);
        Add("--max-queue", settings?.MaxQueue);
        Add("--max-prompt-tokens", settings?.MaxPromptTokens);
        Add("--max-tokens", settings?.MaxTokens);
        args.AddRange(["--host", "$(POD_IP)", "--port", ContainerPort.ToString(CultureInfo.InvariantCulture)]);
        args.AddRange(settings?.ExtraArgs ?? []);
        return args;
    }

    private static V1Container Container(BudgetTier tier, ElasticModel model, CheckpointStatus checkpoint, RuntimeDefaults runtime,
        GpuSpec? gpu, string mountPath, ControllerSettings settings)
    {
        var env = new List<V1EnvVar>
        {
            PodDefaults.FieldEnv("POD_IP", "status.podIP"),
            PodDefaults.FieldEnv("POD_NAME", "metadata.name"),
            new() { Name = "NESTOR_MODEL_NAME", Value = model.Metadata.Name },
        };
        env.AddRange(tier.Spec.Env ?? runtime.Env ?? []);
        return new V1Container
        {
            Name = ContainerName,
            Image = runtime.Image ?? settings.RuntimeImage,
            ImagePullPolicy = PodDefaults.PullPolicy(runtime.ImagePullPolicy),
            Command = ["nestor"],
            Args = ServeArgs(tier, model, checkpoint, mountPath),
            Env = env,
            Ports = [new V1ContainerPort { Name = "http", ContainerPort = ContainerPort, Protocol = "TCP" }],
            Resources = PodDefaults.WithGpu(tier.Spec.Resources ?? runtime.Resources, gpu),
            ReadinessProbe = new V1Probe
            {
                HttpGet = new V1HTTPGetAction { Path = "/readyz", Port = "http" },
                PeriodSeconds = 2,
                FailureThreshold = 1,
                TimeoutSeconds = 2,
            },
            LivenessProbe = new V1Probe
            {
                HttpGet = new V1HTTPGetAction { Path = "/healthz", Port = "http" },
                PeriodSeconds = 10,
                FailureThreshold = 3,
                TimeoutSeconds = 5,
            },
            StartupProbe = new V1Probe
            {
                // Loading a large checkpoint can take minutes: liveness starts only once /healthz answers.
                HttpGet = new V1HTTPGetAction { Path = "/healthz", Port = "http" },
                PeriodSeconds = 5,
                FailureThreshold = 360,
                TimeoutSeconds = 5,
            },
            Lifecycle = new V1Lifecycle { PreStop = new V1LifecycleHandler { Sleep = new V1SleepAction { Seconds = PreStopSleepSeconds } } },
            SecurityContext = PodDefaults.ContainerSecurity(),
            VolumeMounts =
            [
                new V1VolumeMount { Name = WeightsVolume, MountPath = mountPath, ReadOnlyProperty = true },
                PodDefaults.TmpMount(),
            ],
            TerminationMessagePolicy = "FallbackToLogsOnError",
        };
    }
}
