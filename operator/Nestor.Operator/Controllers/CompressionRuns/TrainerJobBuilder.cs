using System.Globalization;
using k8s.Models;
using Nestor.Api;
using Nestor.Api.V1Alpha1;
using Nestor.Operator.Controllers.Shared;

namespace Nestor.Operator.Controllers.CompressionRuns;

/// <summary>
/// The trainer Job &lt;run&gt;-train running `nestor elastify` (or trainer.command). With
/// resources.nodes &gt; 1: an Indexed Job, one pod per node, behind the headless Service
/// &lt;run&gt;-workers, with WORLD_SIZE, RANK (the completion index), MASTER_ADDR and MASTER_PORT.
/// </summary>
public static class TrainerJobBuilder
{
    public const int MasterPort = 29500;
    public const string ContainerName = "trainer";

    public static string JobName(CompressionRun run) => $"{run.Metadata.Name}-train";

    public static string ServiceName(CompressionRun run) => $"{run.Metadata.Name}-workers";

    public static V1Job Build(CompressionRun run, TrainerLayout layout, ControllerSettings settings)
    {
        var spec = run.Spec;
        var resources = spec.Resources ?? new TrainingResources();
        var trainer = spec.Trainer ?? new TrainerSpec();
        var nodes = Math.Max(1, resources.Nodes);
        var podLabels = new Dictionary<string, string>
        {
            [NestorLabels.CompressionRun] = run.Metadata.Name,
            ["app.kubernetes.io/name"] = "nestor-trainer",
            ["app.kubernetes.io/instance"] = run.Metadata.Name,
            ["app.kubernetes.io/managed-by"] = "nestor-operator",
        };
        var jobLabels = new Dictionary<string, string>(run.Metadata.Labels ?? new Dictionary<string, string>());
        foreach (var (k, v) in podLabels)
        {
            jobLabels[k] = v;
        }

        var configFile = $"{TrainerConfigBuilder.MountPath}/{TrainerConfigBuilder.FileName}";
        var env = new List<V1EnvVar>
        {
            new() { Name = "NESTOR_CONFIG", Value = configFile },
            new() { Name = "NESTOR_OUTPUT_DIR", Value = layout.OutputDir },
            new() { Name = "NESTOR_WORK_DIR", Value = layout.WorkDir },
        };
        if (nodes > 1)
        {
            env.Add(new V1EnvVar { Name = "WORLD_SIZE", Value = nodes.ToString(CultureInfo.InvariantCulture) });
            env.Add(PodDefaults.FieldEnv("RANK", "metadata.annotations['batch.kubernetes.io/job-completion-index']"));
            env.Add(new V1EnvVar { Name = "MASTER_ADDR", Value = $"{JobName(run)}-0.{ServiceName(run)}" });
            env.Add(new V1EnvVar { Name = "MASTER_PORT", Value = MasterPort.ToString(CultureInfo.InvariantCulture) });
        }

        env.AddRange(trainer.Env ?? []);

        List<string> command, args;
        if (trainer.Command is { Count: > 0 } custom)
        {
            command = [.. custom];
            args = [.. trainer.Args ?? []];
        }
        else
        {
            command = ["nestor"];
            // The mounts also go as arguments: where a path is only in a file (the config), a runtime that
            // remaps paths (the local node agent) cannot see it; arguments it can.
            var volumeArgs = layout.Mounts.OrderBy(m => m.Key, StringComparer.Ordinal).SelectMany(m => new[] { "--volume", $"{m.Key}={m.Value}" });
            args = ["elastify", "--config", configFile, "--output", layout.OutputDir, "--work-dir", layout.WorkDir, "--termination-log", "/dev/termination-log", .. volumeArgs, .. trainer.Args ?? []];
        }

        var requirements = new V1ResourceRequirements
        {
            Requests = resources.Requests is null ? null : new Dictionary<string, ResourceQuantity>(resources.Requests),
            Limits = resources.Limits is null ? null : new Dictionary<string, ResourceQuantity>(resources.Limits),
        };
        var mounts = new List<V1VolumeMount> { new() { Name = "config", MountPath = TrainerConfigBuilder.MountPath, ReadOnlyProperty = true }, PodDefaults.TmpMount() };
        var volumes = new List<V1Volume>
        {
            new() { Name = "config", ConfigMap = new V1ConfigMapVolumeSource { Name = TrainerConfigBuilder.Name(run) } },
            PodDefaults.Tmp(),
        };
        var index = 0;
        foreach (var (claim, path) in layout.Mounts)
        {
            var name = $"volume-{index++}";
            volumes.Add(new V1Volume { Name = name, PersistentVolumeClaim = new V1PersistentVolumeClaimVolumeSource { ClaimName = claim } });
            mounts.Add(new V1VolumeMount { Name = name, MountPath = path, ReadOnlyProperty = claim != layout.OutputClaim });
        }

        var job = new V1Job
        {
            Metadata = new V1ObjectMeta { Name = JobName(run), NamespaceProperty = run.Metadata.NamespaceProperty, Labels = jobLabels },
            Spec = new V1JobSpec
            {
                Suspend = spec.Suspend,
                BackoffLimit = spec.BackoffLimit,
                ActiveDeadlineSeconds = spec.ActiveDeadlineSeconds,
                Completions = nodes,
                Parallelism = nodes,
                CompletionMode = nodes > 1 ? "Indexed" : "NonIndexed",
                Template = new V1PodTemplateSpec
                {
                    Metadata = new V1ObjectMeta { Labels = podLabels },
                    Spec = new V1PodSpec
                    {
                        RestartPolicy = "Never",
                        Subdomain = nodes > 1 ? ServiceName(run) : null,
                        ServiceAccountName = trainer.ServiceAccountName,
                        AutomountServiceAccountToken = trainer.ServiceAccountName is not null ? null : false,
                        EnableServiceLinks = false,
                        SecurityContext = PodDefaults.PodSecurity(),
                        ImagePullSecrets = trainer.ImagePullSecrets,
                        NodeSelector = PodDefaults.WithGpuProduct(resources.NodeSelector, resources.Gpu),
                        Tolerations = resources.Tolerations,
                        Affinity = resources.Affinity,
                        PriorityClassName = resources.PriorityClassName,
                        Containers =
                        [
                            new V1Container
                            {
                                Name = ContainerName,
                                Image = trainer.Image ?? settings.RuntimeImage,
                                ImagePullPolicy = PodDefaults.PullPolicy(trainer.ImagePullPolicy),
                                Command = command,
                                Args = args,
                                Env = env,
                                Ports = nodes > 1 ? [new V1ContainerPort { Name = "rendezvous", ContainerPort = MasterPort }] : null,
                                Resources = PodDefaults.WithGpu(requirements, resources.Gpu),
                                SecurityContext = PodDefaults.ContainerSecurity(),
                                VolumeMounts = mounts,
                                TerminationMessagePath = "/dev/termination-log",
                                TerminationMessagePolicy = "FallbackToLogsOnError",
                            },
                        ],
                        Volumes = volumes,
                    },
                },
            },
        };
        return job;
    }

    public static V1Service HeadlessService(CompressionRun run) => new()
    {
        Metadata = new V1ObjectMeta
        {
            Name = ServiceName(run),
            NamespaceProperty = run.Metadata.NamespaceProperty,
            Labels = new Dictionary<string, string> { [NestorLabels.CompressionRun] = run.Metadata.Name },
        },
        Spec = new V1ServiceSpec
        {
            ClusterIP = "None",
            PublishNotReadyAddresses = true,
            Selector = new Dictionary<string, string> { [NestorLabels.CompressionRun] = run.Metadata.Name },
            Ports = [new V1ServicePort { Name = "rendezvous", Port = MasterPort, TargetPort = MasterPort }],
        },
    };
}
