using System.Text;
using k8s.Models;
using Nestor.Local.Controllers.Volumes;
using Nestor.Local.Node.Env;
using Nestor.Operator.Core.Kube;

namespace Nestor.Local.Node.Volumes;

/// <summary>A pod volume made ready on this machine: the local directory (or file) behind it, and whether kube would mount it read-only anyway.</summary>
public sealed record PreparedVolume(string Name, string HostPath, bool AlwaysReadOnly);

/// <summary>A volume cannot be set up yet (an unbound claim, a missing ConfigMap) or at all (an unsupported type).</summary>
public sealed class VolumeNotReadyException(string message) : Exception(message);

/// <summary>
/// Sets up a pod's volumes under its pod folder, as the kubelet's volume manager: emptyDir → a fresh
/// folder; persistentVolumeClaim → the directory the claim is bound to (nestor.dev/local-path);
/// configMap, secret and downwardAPI → files written once at pod start (later changes are not
/// propagated); hostPath → the path itself. Then maps each container's volumeMounts (with subPath)
/// to <see cref="PathMapping"/>s.
/// </summary>
public sealed class PodVolumes(KubeApiClient api)
{
    private static readonly ResourceType ClaimType = ResourceType.For<V1PersistentVolumeClaim>();
    private static readonly ResourceType ConfigMapType = ResourceType.For<V1ConfigMap>();
    private static readonly ResourceType SecretType = ResourceType.For<V1Secret>();

    public async Task<IReadOnlyDictionary<string, PreparedVolume>> PrepareAsync(V1Pod pod, string podDirectory, string podIp, CancellationToken cancellationToken)
    {
        var ns = pod.Metadata.NamespaceProperty;
        var result = new Dictionary<string, PreparedVolume>(StringComparer.Ordinal);
        foreach (var volume in pod.Spec.Volumes ?? [])
        {
            var local = Path.Combine(podDirectory, "volumes", volume.Name);
            if (volume.EmptyDir is not null)
            {
                Directory.CreateDirectory(local);
                result[volume.Name] = new(volume.Name, local, false);
            }
            else if (volume.PersistentVolumeClaim is { } claimRef)
            {
                var claim = await api.GetAsync<V1PersistentVolumeClaim>(ClaimType, ns, claimRef.ClaimName, cancellationToken)
                    ?? throw new VolumeNotReadyException($"persistentvolumeclaim \"{claimRef.ClaimName}\" not found");
                if (claim.Status?.Phase != "Bound" || claim.Metadata.Annotations?.TryGetValue(ClaimBinder.LocalPathAnnotation, out var directory) != true)
                {
                    throw new VolumeNotReadyException($"persistentvolumeclaim \"{claimRef.ClaimName}\" is not bound");
                }

                if (!Directory.Exists(directory))
                {
                    throw new VolumeNotReadyException($"the directory {directory} of persistentvolumeclaim \"{claimRef.ClaimName}\" does not exist");
                }

                var readOnly = claimRef.ReadOnlyProperty == true || (claim.Spec.AccessModes?.All(m => m == "ReadOnlyMany") ?? false);
                result[volume.Name] = new(volume.Name, directory, readOnly);
            }
            else if (volume.ConfigMap is { } cmRef)
            {
                var map = await api.GetAsync<V1ConfigMap>(ConfigMapType, ns, cmRef.Name, cancellationToken);
                if (map is null && cmRef.Optional != true)
                {
                    throw new VolumeNotReadyException($"configmap \"{cmRef.Name}\" not found");
                }

                var files = (map?.Data ?? new Dictionary<string, string>()).ToDictionary(p => p.Key, p => Encoding.UTF8.GetBytes(p.Value));
                foreach (var (key, value) in map?.BinaryData ?? new Dictionary<string, byte[]>())
                {
                    files[key] = value;
                }

                WriteFiles(local, Select(files, cmRef.Items, $"configmap \"{cmRef.Name}\"", cmRef.Optional == true), cmRef.DefaultMode);
                result[volume.Name] = new(volume.Name, local, true);
            }
            else if (volume.Secret is { } secretRef)
            {
                var secret = await api.GetAsync<V1Secret>(SecretType, ns, secretRef.SecretName, cancellationToken);
                if (secret is null && secretRef.Optional != true)
                {
                    throw new VolumeNotReadyException($"secret \"{secretRef.SecretName}\" not found");
                }

                var files = (secret?.Data ?? new Dictionary<string, byte[]>()).ToDictionary(p => p.Key, p => p.Value);
                WriteFiles(local, Select(files, secretRef.Items, $"secret \"{secretRef.SecretName}\"", secretRef.Optional == true), secretRef.DefaultMode ?? Convert.ToInt32("0400", 8));
                result[volume.Name] = new(volume.Name, local, true);
            }
            else if (volume.DownwardAPI is { } downward)
            {
                var files = new Dictionary<string, byte[]>();
                foreach (var item in downward.Items ?? [])
                {
                    if (item.FieldRef is { } fieldRef)
                    {
                        files[item.Path] = Encoding.UTF8.GetBytes(FieldPaths.Resolve(pod, fieldRef.FieldPath, podIp, "127.0.0.1", allowMaps: true));
                    }
                    else if (item.ResourceFieldRef is { } resourceRef)
                    {
                        var container = pod.Spec.Containers.First(c => string.IsNullOrEmpty(resourceRef.ContainerName) || c.Name == resourceRef.ContainerName);
                        files[item.Path] = Encoding.UTF8.GetBytes(EnvironmentResolver.ResourceField(pod, container, resourceRef));
                    }
                }

                WriteFiles(local, files, downward.DefaultMode);
                result[volume.Name] = new(volume.Name, local, true);
            }
            else if (volume.HostPath is { } hostPath)
            {
                if (hostPath.Type is "DirectoryOrCreate")
                {
                    Directory.CreateDirectory(hostPath.Path);
                }
                else if (hostPath.Type is "Directory" or "File" or "Socket" && !Path.Exists(hostPath.Path))
                {
                    throw new VolumeNotReadyException($"hostPath {hostPath.Path} does not exist");
                }

                result[volume.Name] = new(volume.Name, hostPath.Path, false);
            }
            else
            {
                throw new VolumeNotReadyException($"volume \"{volume.Name}\": only emptyDir, persistentVolumeClaim, configMap, secret, downwardAPI and hostPath volumes are supported locally");
            }
        }

        return result;
    }

    /// <summary>The container's mounts as path mappings; subPath selects a path inside the volume (created when missing, as kubelet does).</summary>
    public static IReadOnlyList<PathMapping> Mounts(V1Container container, IReadOnlyDictionary<string, PreparedVolume> volumes)
    {
        var mappings = new List<PathMapping>();
        foreach (var mount in container.VolumeMounts ?? [])
        {
            if (!volumes.TryGetValue(mount.Name, out var volume))
            {
                throw new VolumeNotReadyException($"volumeMount \"{mount.Name}\" names no volume of the pod");
            }

            var host = volume.HostPath;
            if (!string.IsNullOrEmpty(mount.SubPath))
            {
                if (Path.IsPathRooted(mount.SubPath) || mount.SubPath.Split('/').Contains(".."))
                {
                    throw new VolumeNotReadyException($"volumeMount \"{mount.Name}\": subPath must be a relative path without '..'");
                }

                host = Path.Combine(host, mount.SubPath);
                if (!Path.Exists(host))
                {
                    Directory.CreateDirectory(host);
                }
            }

            mappings.Add(new PathMapping(mount.MountPath, host, mount.ReadOnlyProperty == true || volume.AlwaysReadOnly));
        }

        return mappings;
    }

    private static Dictionary<string, byte[]> Select(Dictionary<string, byte[]> all, IList<V1KeyToPath>? items, string source, bool optional)
    {
        if (items is not { Count: > 0 })
        {
            return all;
        }

        var selected = new Dictionary<string, byte[]>();
        foreach (var item in items)
        {
            if (all.TryGetValue(item.Key, out var value))
            {
                selected[item.Path] = value;
            }
            else if (!optional)
            {
                throw new VolumeNotReadyException($"{source} has no key \"{item.Key}\"");
            }
        }

        return selected;
    }

    private static void WriteFiles(string directory, Dictionary<string, byte[]> files, int? mode)
    {
        Directory.CreateDirectory(directory);
        foreach (var (relative, content) in files)
        {
            if (Path.IsPathRooted(relative) || relative.Split('/').Contains(".."))
            {
                throw new VolumeNotReadyException($"volume file path \"{relative}\" must be relative without '..'");
            }

            var path = Path.Combine(directory, relative);
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            File.WriteAllBytes(path, content);
            if (!OperatingSystem.IsWindows())
            {
                File.SetUnixFileMode(path, (UnixFileMode)(mode ?? Convert.ToInt32("0644", 8)));
            }
        }
    }
}
