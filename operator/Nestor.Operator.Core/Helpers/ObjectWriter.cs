using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using k8s;
using k8s.Models;
using Nestor.Operator.Core.Kube;

namespace Nestor.Operator.Core.Helpers;

public enum WriteOutcome
{
    Unchanged,
    Created,
    Updated,
}

/// <summary>
/// The writes a reconciler makes, each skipped when it would change nothing, so a converged system
/// makes no API writes at all.
/// </summary>
public sealed class ObjectWriter(KubeApiClient api)
{
    /// <summary>The hash of the desired object this controller last wrote to a child.</summary>
    public const string DesiredHashAnnotation = "nestor.dev/desired-hash";

    public KubeApiClient Api => api;

    /// <summary>
    /// Creates <paramref name="desired"/>, or updates <paramref name="existing"/> when the desired
    /// object changed since the last write. The comparison is on the hash of what the controller
    /// wants (kept in an annotation), not on the live object, so fields the API server defaults
    /// never cause a write. Labels, annotations, finalizers and owners that others added are kept.
    /// </summary>
    public async Task<(WriteOutcome Outcome, T Object)> EnsureAsync<T>(T desired, T? existing, CancellationToken cancellationToken)
        where T : class, IKubernetesObject<V1ObjectMeta>
    {
        var type = ResourceType.For<T>();
        desired.ApiVersion ??= type.ApiVersion;
        desired.Kind ??= type.Kind;
        var hash = Hash(desired);
        desired.Metadata.Annotations ??= new Dictionary<string, string>();
        desired.Metadata.Annotations[DesiredHashAnnotation] = hash;

        if (existing is null)
        {
            try
            {
                return (WriteOutcome.Created, await api.CreateAsync(type, desired, cancellationToken));
            }
            catch (KubeApiException e) when (e.IsAlreadyExists)
            {
                existing = await api.GetAsync<T>(type, desired.Metadata.NamespaceProperty, desired.Metadata.Name, cancellationToken)
                    ?? throw new KubeApiException(e.StatusCode, e.Status, $"{type.Kind} {desired.Metadata.Name} exists but could not be read: {e.Message}");
            }
        }

        if (existing.Metadata.Annotations is { } current && current.TryGetValue(DesiredHashAnnotation, out var previous) && previous == hash)
        {
            return (WriteOutcome.Unchanged, existing);
        }

        desired.Metadata.ResourceVersion = existing.Metadata.ResourceVersion;
        desired.Metadata.Uid = existing.Metadata.Uid;
        foreach (var (key, value) in existing.Metadata.Labels ?? new Dictionary<string, string>())
        {
            (desired.Metadata.Labels ??= new Dictionary<string, string>()).TryAdd(key, value);
        }

        foreach (var (key, value) in existing.Metadata.Annotations ?? new Dictionary<string, string>())
        {
            desired.Metadata.Annotations.TryAdd(key, value);
        }

        desired.Metadata.Finalizers ??= existing.Metadata.Finalizers;
        desired.Metadata.OwnerReferences ??= existing.Metadata.OwnerReferences;
        return (WriteOutcome.Updated, await api.ReplaceAsync(type, desired, cancellationToken));
    }

    /// <summary>
    /// Writes <paramref name="updated"/>'s status through the status subresource when it differs
    /// from <paramref name="current"/>'s. Guarded by resourceVersion: a 409 means the cache was stale
    /// and the reconcile should run again.
    /// </summary>
    public async Task<bool> UpdateStatusAsync<T>(T current, T updated, CancellationToken cancellationToken)
        where T : class, IKubernetesObject<V1ObjectMeta>
    {
        if (JsonNode.DeepEquals(StatusOf(current), StatusOf(updated)))
        {
            return false;
        }

        updated.Metadata.ResourceVersion = current.Metadata.ResourceVersion;
        await api.ReplaceAsync(ResourceType.For<T>(), updated, cancellationToken, status: true);
        return true;
    }

    /// <summary>A whole-object update (metadata and spec, e.g. finalizers), guarded by resourceVersion.</summary>
    public Task<T> UpdateAsync<T>(T obj, CancellationToken cancellationToken)
        where T : class, IKubernetesObject<V1ObjectMeta> => api.ReplaceAsync(ResourceType.For<T>(), obj, cancellationToken);

    public static string Hash<T>(T desired)
        where T : class, IKubernetesObject<V1ObjectMeta>
    {
        var node = JsonNode.Parse(KubernetesJson.Serialize(desired))!.AsObject();
        if (node["metadata"]?["annotations"] is JsonObject annotations)
        {
            annotations.Remove(DesiredHashAnnotation);
        }

        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(node.ToJsonString())))[..32];
    }

    private static JsonNode? StatusOf<T>(T obj) => JsonNode.Parse(KubernetesJson.Serialize(obj))?["status"];
}
