using k8s.Models;
using Nestor.Api;
using Nestor.Api.V1Alpha1;
using Nestor.Operator.Controllers.Shared;

namespace Nestor.Operator.Controllers.ElasticModels;

/// <summary>
/// The loader Job: `nestor fetch` copies or downloads the checkpoint onto the weight volume, verifies it,
/// publishes it as checkpoints/&lt;model&gt;/sha256-&lt;hex&gt;/ and writes its result JSON to the
/// termination log, which the operator reads from the pod's status.
/// </summary>
public static class LoaderJobBuilder
{
    /// <summary>Loader pods carry this label (not nestor.dev/model, which marks serving pods).</summary>
    public const string LoaderModelLabel = NestorApi.Group + "/loader-for";
    public const string ContainerName = "loader";

    public static V1Job Build(ElasticModel model, ModelSourceKey source, string claimName, ControllerSettings settings)
    {
        var runtime = model.Spec.Runtime ?? new RuntimeDefaults();
        var loader = model.Spec.Loader ?? new LoaderSpec();
        var mount = model.Spec.WeightVolume.MountPath;
        var labels = new Dictionary<string, string>
        {
            [LoaderModelLabel] = model.Metadata.Name,
            ["app.kubernetes.io/name"] = "nestor-loader",
            ["app.kubernetes.io/instance"] = model.Metadata.Name,
            ["app.kubernetes.io/managed-by"] = "nestor-operator",
        };
        var args = new List<string> { "fetch", "--source", source.FetchSource, "--dest-root", mount, "--model", model.Metadata.Name };
        if (source.ExpectedDigest is { } digest)
        {
            args.AddRange(["--digest", digest]);
        }

        args.AddRange(["--termination-log", "/dev/termination-log"]);
        var uriSecret = model.Spec.Source.Uri?.SecretRef?.Name;
        return new V1Job
        {
            Metadata = new V1ObjectMeta
            {
                Name = source.JobName(model.Metadata.Name),
                NamespaceProperty = model.Metadata.NamespaceProperty,
                Labels = new Dictionary<string, string>(labels),
                Annotations = new Dictionary<string, string> { [NestorApi.Group + "/source"] = source.Description },
            },
            Spec = new V1JobSpec
            {
                BackoffLimit = loader.BackoffLimit,
                ActiveDeadlineSeconds = loader.ActiveDeadlineSeconds,
                Template = new V1PodTemplateSpec
                {
                    Metadata = new V1ObjectMeta { Labels = labels },
                    Spec = new V1PodSpec
                    {
                        RestartPolicy = "Never",
                        AutomountServiceAccountToken = false,
                        EnableServiceLinks = false,
                        SecurityContext = PodDefaults.PodSecurity(),
                        ImagePullSecrets = runtime.ImagePullSecrets,
                        NodeSelector = runtime.NodeSelector,
                        Tolerations = runtime.Tolerations,
                        Affinity = runtime.Affinity,
                        Containers =
                        [
                            new V1Container
                            {
                                Name = ContainerName,
                                Image = runtime.Image ?? settings.RuntimeImage,
                                ImagePullPolicy = PodDefaults.PullPolicy(runtime.ImagePullPolicy),
                                Command = ["nestor"],
                                Args = args,
                                EnvFrom = uriSecret is null ? null : [new V1EnvFromSource { SecretRef = new V1SecretEnvSource { Name = uriSecret } }],
                                Resources = loader.Resources ?? new V1ResourceRequirements
                                {
                                    Requests = new Dictionary<string, ResourceQuantity> { ["cpu"] = new("1"), ["memory"] = new("2Gi") },
                                },
                                SecurityContext = PodDefaults.ContainerSecurity(),
                                VolumeMounts =
                                [
                                    new V1VolumeMount { Name = "weights", MountPath = mount },
                                    PodDefaults.TmpMount(),
                                ],
                                TerminationMessagePath = "/dev/termination-log",
                                TerminationMessagePolicy = "FallbackToLogsOnError",
                            },
                        ],
                        Volumes =
                        [
                            new V1Volume { Name = "weights", PersistentVolumeClaim = new V1PersistentVolumeClaimVolumeSource { ClaimName = claimName } },
                            PodDefaults.Tmp(),
                        ],
                    },
                },
            },
        };
    }
}
