using System.Globalization;
using System.Text;
using k8s.Models;
using Nestor.Operator.Core.Kube;

namespace Nestor.Local.Node.Env;

/// <summary>What the node agent knows about a pod when it builds a container's environment.</summary>
public sealed record PodRuntimeFacts(string PodIp, string HostIp, IReadOnlyDictionary<string, string> ServiceEnvironment);

/// <summary>
/// Builds a container's environment the way the kubelet does: service variables first (when
/// enableServiceLinks), then envFrom (ConfigMaps and Secrets, with prefix), then env in order, each
/// value $(VAR)-expanded against what came before; valueFrom resolves fieldRef (downward API),
/// resourceFieldRef, configMapKeyRef and secretKeyRef. A missing required source is a
/// <see cref="ContainerConfigException"/> with kubelet's message.
/// </summary>
public sealed class EnvironmentResolver(KubeApiClient api)
{
    private static readonly ResourceType ConfigMapType = ResourceType.For<V1ConfigMap>();
    private static readonly ResourceType SecretType = ResourceType.For<V1Secret>();

    public async Task<Dictionary<string, string>> ResolveAsync(V1Pod pod, V1Container container, PodRuntimeFacts facts, CancellationToken cancellationToken)
    {
        var ns = pod.Metadata.NamespaceProperty;
        var env = new Dictionary<string, string>(StringComparer.Ordinal);
        if (pod.Spec.EnableServiceLinks != false)
        {
            foreach (var (name, value) in facts.ServiceEnvironment)
            {
                env[name] = value;
            }
        }

        var configMaps = new Dictionary<string, V1ConfigMap?>();
        var secrets = new Dictionary<string, V1Secret?>();
        foreach (var source in container.EnvFrom ?? [])
        {
            var prefix = source.Prefix ?? "";
            if (source.ConfigMapRef is { } cmRef)
            {
                var map = await ConfigMapAsync(ns, cmRef.Name, configMaps, cancellationToken);
                if (map is null)
                {
                    if (cmRef.Optional != true)
                    {
                        throw new ContainerConfigException($"configmap \"{cmRef.Name}\" not found");
                    }

                    continue;
                }

                foreach (var (key, value) in map.Data ?? new Dictionary<string, string>())
                {
                    env[prefix + key] = value;
                }
            }
            else if (source.SecretRef is { } secretRef)
            {
                var secret = await SecretAsync(ns, secretRef.Name, secrets, cancellationToken);
                if (secret is null)
                {
                    if (secretRef.Optional != true)
                    {
                        throw new ContainerConfigException($"secret \"{secretRef.Name}\" not found");
                    }

                    continue;
                }

                foreach (var (key, value) in secret.Data ?? new Dictionary<string, byte[]>())
                {
                    env[prefix + key] = Encoding.UTF8.GetString(value);
                }
            }
        }

        foreach (var variable in container.Env ?? [])
        {
            if (variable.ValueFrom is not { } from)
            {
                env[variable.Name] = VarExpansion.Expand(variable.Value ?? "", env);
                continue;
            }

            string? value;
            if (from.FieldRef is { } fieldRef)
            {
                value = FieldPaths.Resolve(pod, fieldRef.FieldPath, facts.PodIp, facts.HostIp);
            }
            else if (from.ResourceFieldRef is { } resourceRef)
            {
                value = ResourceField(pod, container, resourceRef);
            }
            else if (from.ConfigMapKeyRef is { } cmKey)
            {
                var map = await ConfigMapAsync(ns, cmKey.Name, configMaps, cancellationToken);
                value = map is null
                    ? cmKey.Optional == true ? null : throw new ContainerConfigException($"configmap \"{cmKey.Name}\" not found")
                    : map.Data?.TryGetValue(cmKey.Key, out var v) == true ? v
                    : cmKey.Optional == true ? null : throw new ContainerConfigException($"couldn't find key {cmKey.Key} in ConfigMap {ns}/{cmKey.Name}");
            }
            else if (from.SecretKeyRef is { } secretKey)
            {
                var secret = await SecretAsync(ns, secretKey.Name, secrets, cancellationToken);
                value = secret is null
                    ? secretKey.Optional == true ? null : throw new ContainerConfigException($"secret \"{secretKey.Name}\" not found")
                    : secret.Data?.TryGetValue(secretKey.Key, out var bytes) == true ? Encoding.UTF8.GetString(bytes)
                    : secretKey.Optional == true ? null : throw new ContainerConfigException($"couldn't find key {secretKey.Key} in Secret {ns}/{secretKey.Name}");
            }
            else
            {
                throw new ContainerConfigException($"env {variable.Name}: valueFrom names no source");
            }

            if (value is not null)
            {
                env[variable.Name] = value;
            }
        }

        return env;
    }

    /// <summary>resourceFieldRef: a container's requests or limits in units of the divisor (CPU rounded up); an unset limit is the node's capacity.</summary>
    public static string ResourceField(V1Pod pod, V1Container self, V1ResourceFieldSelector selector)
    {
        var container = string.IsNullOrEmpty(selector.ContainerName) ? self
            : pod.Spec.Containers.Concat(pod.Spec.InitContainers ?? []).FirstOrDefault(c => c.Name == selector.ContainerName)
              ?? throw new ContainerConfigException($"resourceFieldRef: no container named {selector.ContainerName}");
        var parts = selector.Resource.Split('.', 2);
        if (parts.Length != 2 || parts[0] is not ("limits" or "requests"))
        {
            throw new ContainerConfigException($"unsupported resourceFieldRef resource: {selector.Resource}");
        }

        var resources = parts[0] == "limits" ? container.Resources?.Limits : container.Resources?.Requests;
        decimal amount;
        if (resources?.TryGetValue(parts[1], out var quantity) == true)
        {
            amount = quantity.ToDecimal();
        }
        else if (parts[0] == "limits" || parts[1] is "cpu" or "memory")
        {
            amount = parts[1] switch
            {
                "cpu" => parts[0] == "limits" ? Environment.ProcessorCount : 0,
                "memory" => parts[0] == "limits" ? GC.GetGCMemoryInfo().TotalAvailableMemoryBytes : 0,
                _ => 0,
            };
        }
        else
        {
            amount = 0;
        }

        var divisor = selector.Divisor?.ToDecimal() is { } d and > 0 ? d : 1m;
        return Math.Ceiling(amount / divisor).ToString("0", CultureInfo.InvariantCulture);
    }

    private async Task<V1ConfigMap?> ConfigMapAsync(string ns, string name, Dictionary<string, V1ConfigMap?> cache, CancellationToken cancellationToken)
    {
        if (!cache.TryGetValue(name, out var map))
        {
            map = await api.GetAsync<V1ConfigMap>(ConfigMapType, ns, name, cancellationToken);
            cache[name] = map;
        }

        return map;
    }

    private async Task<V1Secret?> SecretAsync(string ns, string name, Dictionary<string, V1Secret?> cache, CancellationToken cancellationToken)
    {
        if (!cache.TryGetValue(name, out var secret))
        {
            secret = await api.GetAsync<V1Secret>(SecretType, ns, name, cancellationToken);
            cache[name] = secret;
        }

        return secret;
    }
}
