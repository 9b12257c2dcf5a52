using System.Security.Cryptography;
using System.Text;
using System.Threading.Channels;
using k8s;
using k8s.Models;
using Microsoft.Extensions.Logging;
using Nestor.Operator.Core.Kube;

namespace Nestor.Operator.Core.Events;

/// <summary>
/// Records core/v1 Events without blocking reconciles. Repeats of the same (object, type, reason,
/// message) are aggregated into one Event with a deterministic name whose count and lastTimestamp
/// grow, as kubectl describe shows them.
/// </summary>
public sealed class EventRecorder(KubeApiClient api, string component, ILogger<EventRecorder> logger)
{
    private static readonly ResourceType EventType = ResourceType.For<Corev1Event>();
    private readonly Channel<Corev1Event> _pending = Channel.CreateBounded<Corev1Event>(
        new BoundedChannelOptions(1000) { FullMode = BoundedChannelFullMode.DropOldest });
    private readonly Dictionary<string, int> _counts = [];

    public const string Normal = "Normal";
    public const string Warning = "Warning";

    public void Record(IKubernetesObject<V1ObjectMeta> obj, string type, string reason, string message)
    {
        var now = DateTime.UtcNow;
        var key = $"{obj.Metadata.Uid}|{type}|{reason}|{message}";
        var name = $"{obj.Metadata.Name}.{Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(key)))[..16]}";
        _pending.Writer.TryWrite(new Corev1Event
        {
            Metadata = new V1ObjectMeta { Name = name, NamespaceProperty = obj.Metadata.NamespaceProperty ?? "default" },
            InvolvedObject = new V1ObjectReference
            {
                ApiVersion = obj.ApiVersion,
                Kind = obj.Kind,
                Name = obj.Metadata.Name,
                NamespaceProperty = obj.Metadata.NamespaceProperty,
                Uid = obj.Metadata.Uid,
                ResourceVersion = obj.Metadata.ResourceVersion,
            },
            Type = type,
            Reason = reason,
            Message = message,
            Source = new V1EventSource { Component = component },
            ReportingComponent = component,
            FirstTimestamp = now,
            LastTimestamp = now,
            Count = 1,
        });
    }

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        try
        {
            await foreach (var e in _pending.Reader.ReadAllAsync(cancellationToken))
            {
                try
                {
                    await WriteAsync(e, cancellationToken);
                }
                catch (Exception ex) when (ex is KubeApiException)
                {
                    logger.LogDebug("Could not record event {Reason} on {Object}: {Error}", e.Reason, e.InvolvedObject.Name, ex.Message);
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    private async Task WriteAsync(Corev1Event e, CancellationToken cancellationToken)
    {
        var name = e.Metadata.Name;
        var ns = e.Metadata.NamespaceProperty;
        if (!_counts.TryGetValue(name, out var count))
        {
            try
            {
                await api.CreateAsync(EventType, e, cancellationToken);
                _counts[name] = 1;
                return;
            }
            catch (KubeApiException ex) when (ex.IsAlreadyExists)
            {
                var existing = await api.GetAsync<Corev1Event>(EventType, ns, name, cancellationToken);
                count = existing?.Count ?? 1;
            }
        }

        count++;
        _counts[name] = count;
        var patch = $$"""{"count":{{count}},"lastTimestamp":"{{e.LastTimestamp:yyyy-MM-ddTHH:mm:ssZ}}"}""";
        await api.PatchAsync<Corev1Event>(EventType, ns, name, PatchKind.Merge, patch, cancellationToken);
    }
}
