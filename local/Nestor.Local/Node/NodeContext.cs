using System.Globalization;
using k8s.Models;
using Microsoft.Extensions.Logging;
using Nestor.Local.Cluster;
using Nestor.Local.Node.Pods;
using Nestor.Local.Node.Probes;
using Nestor.Local.Node.Volumes;
using Nestor.Operator.Core.Informers;
using Nestor.Operator.Core.Kube;

namespace Nestor.Local.Node;

/// <summary>What every pod worker of the node agent shares.</summary>
internal sealed class NodeContext(
    KubeApiClient api,
    NodeAgentOptions options,
    ClusterLayout layout,
    ContainerLauncher launcher,
    PodVolumes volumes,
    Prober prober,
    LoopbackPool podIps,
    InformerCache<V1Service> services,
    bool enforceReadOnlyMounts,
    ILoggerFactory loggerFactory)
{
    public KubeApiClient Api => api;

    public NodeAgentOptions Options => options;

    public ClusterLayout Layout => layout;

    public ContainerLauncher Launcher => launcher;

    public PodVolumes Volumes => volumes;

    public Prober Prober => prober;

    public LoopbackPool PodIps => podIps;

    public bool EnforceReadOnlyMounts => enforceReadOnlyMounts;

    public ILoggerFactory LoggerFactory => loggerFactory;

    /// <summary>The Docker-link-style variables the kubelet gives containers for the Services of their namespace (enableServiceLinks).</summary>
    public IReadOnlyDictionary<string, string> ServiceEnvironment(string @namespace)
    {
        var env = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var service in services.List(@namespace))
        {
            var ip = service.Spec?.ClusterIP;
            if (string.IsNullOrEmpty(ip) || ip == "None" || service.Spec!.Ports is not { Count: > 0 } ports)
            {
                continue;
            }

            var name = service.Metadata.Name.ToUpperInvariant().Replace('-', '_');
            env[$"{name}_SERVICE_HOST"] = ip;
            env[$"{name}_SERVICE_PORT"] = ports[0].Port.ToString(CultureInfo.InvariantCulture);
            foreach (var port in ports.Where(p => !string.IsNullOrEmpty(p.Name)))
            {
                env[$"{name}_SERVICE_PORT_{port.Name.ToUpperInvariant().Replace('-', '_')}"] = port.Port.ToString(CultureInfo.InvariantCulture);
            }
        }

        return env;
    }
}
