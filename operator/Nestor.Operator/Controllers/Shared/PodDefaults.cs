using k8s.Models;
using Nestor.Api.V1Alpha1;

namespace Nestor.Operator.Controllers.Shared;

/// <summary>The hardening and resource plumbing every pod the operator makes shares.</summary>
public static class PodDefaults
{
    public const long UserId = 65532;
    public const string TmpVolume = "tmp";

    /// <summary>Non-root, no privilege escalation, RuntimeDefault seccomp.</summary>
    public static V1PodSecurityContext PodSecurity() => new()
    {
        RunAsNonRoot = true,
        RunAsUser = UserId,
        RunAsGroup = UserId,
        FsGroup = UserId,
        SeccompProfile = new V1SeccompProfile { Type = "RuntimeDefault" },
    };

    /// <summary>A read-only root filesystem and no capabilities.</summary>
    public static V1SecurityContext ContainerSecurity() => new()
    {
        AllowPrivilegeEscalation = false,
        ReadOnlyRootFilesystem = true,
        RunAsNonRoot = true,
        Capabilities = new V1Capabilities { Drop = ["ALL"] },
    };

    /// <summary>A writable /tmp on the read-only root filesystem.</summary>
    public static V1Volume Tmp() => new() { Name = TmpVolume, EmptyDir = new V1EmptyDirVolumeSource() };

    public static V1VolumeMount TmpMount() => new() { Name = TmpVolume, MountPath = "/tmp" };

    /// <summary>The resources with count x resourceName GPUs added to requests and limits.</summary>
    public static V1ResourceRequirements? WithGpu(V1ResourceRequirements? resources, GpuSpec? gpu)
    {
        if (gpu is null || gpu.Count == 0)
        {
            return resources;
        }

        var result = new V1ResourceRequirements
        {
            Requests = new Dictionary<string, ResourceQuantity>(resources?.Requests ?? new Dictionary<string, ResourceQuantity>()),
            Limits = new Dictionary<string, ResourceQuantity>(resources?.Limits ?? new Dictionary<string, ResourceQuantity>()),
            Claims = resources?.Claims,
        };
        var count = new ResourceQuantity(gpu.Count.ToString(System.Globalization.CultureInfo.InvariantCulture));
        result.Requests[gpu.ResourceName] = count;
        result.Limits[gpu.ResourceName] = count;
        return result;
    }

    /// <summary>The node selector with the GPU product label added when one is asked for.</summary>
    public static IDictionary<string, string>? WithGpuProduct(IDictionary<string, string>? selector, GpuSpec? gpu)
    {
        if (gpu?.Product is not { Length: > 0 } product)
        {
            return selector;
        }

        return new Dictionary<string, string>(selector ?? new Dictionary<string, string>()) { [gpu.ProductLabel] = product };
    }

    public static string? PullPolicy(ImagePullPolicy? policy) => policy?.ToString();

    /// <summary>An environment variable from the pod's own fields (downward API).</summary>
    public static V1EnvVar FieldEnv(string name, string fieldPath) =>
        new() { Name = name, ValueFrom = new V1EnvVarSource { FieldRef = new V1ObjectFieldSelector { FieldPath = fieldPath } } };
}
