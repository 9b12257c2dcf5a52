using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using k8s.Models;
using Microsoft.Extensions.Logging;
using Nestor.Local.Controllers.Common;
using Nestor.Local.Node;
using Nestor.Operator.Core.Controllers;
using Nestor.Operator.Core.Events;
using Nestor.Operator.Core.Informers;
using Nestor.Operator.Core.Kube;

namespace Nestor.Local.Services;

/// <summary>
/// kube-proxy for the local cluster: every ClusterIP Service gets a TCP listener per port on its
/// clusterIP (a loopback address when the API server allocates from a 127.x range; otherwise one
/// from this proxy's own pool, see <see cref="AddressOf"/>), forwarding to the ready, non-terminating
/// pods its selector matches, at each port's targetPort (a number or a container port name).
/// UDP ports and headless Services get no listener.
/// </summary>
public sealed class ServiceProxy(
    InformerCache<V1Service> services,
    InformerCache<V1Pod> pods,
    LoopbackPool fallbackAddresses,
    EventRecorder events,
    ILogger<ServiceProxy> logger) : IReconciler, IAsyncDisposable
{
    private readonly ConcurrentDictionary<ObjectKey, ServiceEntry> _entries = new();

    /// <summary>The loopback address a Service is served on, or null when it has none (yet).</summary>
    public IPAddress? AddressOf(string @namespace, string name) =>
        _entries.TryGetValue(new ObjectKey(@namespace, name), out var entry) ? entry.Address : null;

    /// <summary>The Services a pod's change concerns: those of its namespace (old and new labels are both enqueued by the controller).</summary>
    public IEnumerable<ObjectKey> ServicesFor(V1Pod pod) =>
        services.List(pod.Metadata.NamespaceProperty).Where(s => LabelSelectors.Matches(s.Spec?.Selector, pod.Metadata.Labels)).Select(ObjectKey.Of);

    public async Task<ReconcileResult> ReconcileAsync(ObjectKey key, CancellationToken cancellationToken)
    {
        var service = services.Get(key);
        if (service is null || service.Spec?.Type == "ExternalName" || service.Spec?.ClusterIP is null or "" or "None")
        {
            if (_entries.TryRemove(key, out var gone))
            {
                await gone.DisposeAsync(fallbackAddresses);
                logger.LogInformation("Service {Key}: proxy stopped", key);
            }

            return ReconcileResult.Done;
        }

        var entry = _entries.GetOrAdd(key, _ => new ServiceEntry(ChooseAddress(service)));
        var candidates = pods.List(key.Namespace)
            .Where(p => LabelSelectors.Matches(service.Spec.Selector, p.Metadata.Labels) && PodFacts.IsActive(p) && PodFacts.IsReady(p)
                && !string.IsNullOrEmpty(p.Status?.PodIP))
            .OrderBy(p => p.Metadata.Name, StringComparer.Ordinal)
            .ToList();
        var wanted = (service.Spec.Ports ?? []).Where(p => (p.Protocol ?? "TCP") == "TCP").ToList();
        var result = ReconcileResult.Done;
        foreach (var port in entry.Listeners.Keys.Where(p => wanted.All(w => w.Port != p)).ToList())
        {
            if (entry.Listeners.Remove(port, out var listener))
            {
                await listener.DisposeAsync();
            }
        }

        foreach (var port in wanted)
        {
            if (!entry.Listeners.TryGetValue(port.Port, out var listener))
            {
                try
                {
                    listener = new ServiceListener(entry.Address, port.Port, logger);
                    entry.Listeners[port.Port] = listener;
                    logger.LogInformation("Service {Key}: listening on {Address}:{Port}", key, entry.Address, port.Port);
                }
                catch (SocketException e)
                {
                    var message = $"cannot listen on {entry.Address}:{port.Port}: {e.Message}" + (port.Port < 1024 ? " (ports below 1024 need root)" : "");
                    events.Record(service, EventRecorder.Warning, "ProxyListenFailed", message);
                    logger.LogWarning("Service {Key}: {Message}", key, message);
                    result = result.Min(ReconcileResult.After(TimeSpan.FromSeconds(10)));
                    continue;
                }
            }

            listener.Endpoints = candidates
                .Select(p => TargetPort(port, p) is { } target ? new Endpoint(p.Status.PodIP, target, p.Metadata.Name) : null)
                .OfType<Endpoint>()
                .ToList();
        }

        return result;
    }

    /// <summary>A port's targetPort on a pod: a number, a container port name, or (unset) the port itself.</summary>
    public static int? TargetPort(V1ServicePort port, V1Pod pod)
    {
        var target = port.TargetPort?.Value;
        if (string.IsNullOrEmpty(target))
        {
            return port.Port;
        }

        if (int.TryParse(target, out var number))
        {
            return number;
        }

        return pod.Spec.Containers.SelectMany(c => c.Ports ?? []).FirstOrDefault(p => p.Name == target)?.ContainerPort;
    }

    private IPAddress ChooseAddress(V1Service service)
    {
        if (IPAddress.TryParse(service.Spec.ClusterIP, out var ip) && IPAddress.IsLoopback(ip))
        {
            return ip;
        }

        var fallback = fallbackAddresses.Allocate();
        logger.LogInformation("Service {Key}: clusterIP {ClusterIp} is not a loopback address; serving it on {Address}", ObjectKey.Of(service), service.Spec.ClusterIP, fallback);
        return fallback;
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var key in _entries.Keys.ToList())
        {
            if (_entries.TryRemove(key, out var entry))
            {
                await entry.DisposeAsync(fallbackAddresses);
            }
        }
    }

    private sealed class ServiceEntry(IPAddress address)
    {
        public IPAddress Address { get; } = address;

        public Dictionary<int, ServiceListener> Listeners { get; } = [];

        public async Task DisposeAsync(LoopbackPool pool)
        {
            foreach (var listener in Listeners.Values)
            {
                await listener.DisposeAsync();
            }

            pool.Release(Address);
        }
    }
}
