using k8s.Models;
using Microsoft.Extensions.Logging;
using Nestor.Local.Cluster;
using Nestor.Local.Controllers.Common;
using Nestor.Operator.Core.Controllers;
using Nestor.Operator.Core.Events;
using Nestor.Operator.Core.Helpers;
using Nestor.Operator.Core.Informers;
using Nestor.Operator.Core.Kube;

namespace Nestor.Local.Controllers.Volumes;

/// <summary>Where claims live on this machine.</summary>
public sealed record ClaimBinderOptions
{
    /// <summary>Claims ("namespace/name") bound to a given directory instead of volumes/&lt;ns&gt;/&lt;claim&gt;.</summary>
    public IReadOnlyDictionary<string, string> ClaimDirectories { get; init; } = new Dictionary<string, string>();

    /// <summary>Delete a claim's folder under volumes/ when the claim is deleted (a dynamically provisioned volume with reclaimPolicy Delete). Folders named by nestor.dev/local-path or ClaimDirectories are never deleted.</summary>
    public bool DeleteProvisionedVolumes { get; init; } = true;
}

/// <summary>
/// Binds every PersistentVolumeClaim to a local directory (a provisioner and the PV binder in one):
/// the nestor.dev/local-path annotation when the claim names an existing directory, else a
/// configured directory, else volumes/&lt;namespace&gt;/&lt;claim&gt;. The directory is recorded in the annotation,
/// spec.volumeName is set and status becomes Bound with the requested capacity and access modes.
/// Also plays kube's pvc-protection: a claim in use by a pod stays until no pod uses it.
/// </summary>
public sealed class ClaimBinder(
    KubeApiClient api,
    InformerCache<V1PersistentVolumeClaim> claims,
    InformerCache<V1Pod> pods,
    ClusterLayout layout,
    ClaimBinderOptions options,
    EventRecorder events,
    ILogger<ClaimBinder> logger) : IReconciler
{
    public const string LocalPathAnnotation = "nestor.dev/local-path";
    public const string ProtectionFinalizer = "kubernetes.io/pvc-protection";
    private const string ProvisionedAnnotation = "nestor.dev/local-provisioned";
    private static readonly ResourceType ClaimType = ResourceType.For<V1PersistentVolumeClaim>();

    public async Task<ReconcileResult> ReconcileAsync(ObjectKey key, CancellationToken cancellationToken)
    {
        var claim = claims.Get(key);
        if (claim is null)
        {
            return ReconcileResult.Done;
        }

        if (claim.Metadata.DeletionTimestamp is not null)
        {
            return await ReleaseAsync(claim, cancellationToken);
        }

        var annotations = claim.Metadata.Annotations ?? new Dictionary<string, string>();
        var provisioned = false;
        string directory;
        if (annotations.TryGetValue(LocalPathAnnotation, out var given) && given.Length > 0)
        {
            directory = given;
            provisioned = annotations.TryGetValue(ProvisionedAnnotation, out var p) && p == "true";
            if (provisioned)
            {
                Directory.CreateDirectory(directory);
            }
            else if (!Path.IsPathFullyQualified(directory) || !Directory.Exists(directory))
            {
                var message = $"{LocalPathAnnotation} '{directory}' is not an existing directory (an absolute path is required)";
                events.Record(claim, EventRecorder.Warning, "ProvisioningFailed", message);
                logger.LogWarning("PersistentVolumeClaim {Key}: {Message}", key, message);
                return ReconcileResult.After(TimeSpan.FromSeconds(5));
            }
        }
        else if (options.ClaimDirectories.TryGetValue(key.ToString(), out var configured))
        {
            directory = Path.GetFullPath(configured);
            Directory.CreateDirectory(directory);
        }
        else
        {
            directory = layout.ClaimDirectory(key.Namespace ?? "default", key.Name);
            Directory.CreateDirectory(directory);
            provisioned = true;
        }

        var volumeName = "pvc-" + claim.Metadata.Uid;
        if (claim.Spec.VolumeName != volumeName || !annotations.ContainsKey(LocalPathAnnotation) || !Ownership.HasFinalizer(claim, ProtectionFinalizer))
        {
            var update = KubeObjects.Clone(claim);
            update.Metadata.Annotations ??= new Dictionary<string, string>();
            update.Metadata.Annotations[LocalPathAnnotation] = directory;
            update.Metadata.Annotations["pv.kubernetes.io/bind-completed"] = "yes";
            update.Metadata.Annotations["pv.kubernetes.io/bound-by-controller"] = "yes";
            if (provisioned)
            {
                update.Metadata.Annotations[ProvisionedAnnotation] = "true";
            }

            Ownership.AddFinalizer(update, ProtectionFinalizer);
            update.Spec.VolumeName = volumeName;
            claim = await api.ReplaceAsync(ClaimType, update, cancellationToken);
        }

        if (claim.Status?.Phase != "Bound")
        {
            var bound = KubeObjects.Clone(claim);
            bound.Status = new V1PersistentVolumeClaimStatus
            {
                Phase = "Bound",
                AccessModes = claim.Spec.AccessModes?.ToList(),
                Capacity = claim.Spec.Resources?.Requests?.TryGetValue("storage", out var size) == true
                    ? new Dictionary<string, ResourceQuantity> { ["storage"] = size }
                    : null,
            };
            await api.ReplaceAsync(ClaimType, bound, cancellationToken, status: true);
            logger.LogInformation("PersistentVolumeClaim {Key} bound to {Directory}", key, directory);
            events.Record(claim, EventRecorder.Normal, "ProvisioningSucceeded", $"Bound to local directory {directory}");
        }

        return ReconcileResult.Done;
    }

    /// <summary>Users of a claim: pods in its namespace that mount it and have not finished.</summary>
    public static bool InUse(V1PersistentVolumeClaim claim, IEnumerable<V1Pod> pods) => pods.Any(p =>
        p.Metadata.NamespaceProperty == claim.Metadata.NamespaceProperty && !PodFacts.IsFinished(p)
        && p.Spec?.Volumes?.Any(v => v.PersistentVolumeClaim?.ClaimName == claim.Metadata.Name) == true);

    private async Task<ReconcileResult> ReleaseAsync(V1PersistentVolumeClaim claim, CancellationToken cancellationToken)
    {
        if (!Ownership.HasFinalizer(claim, ProtectionFinalizer) || InUse(claim, pods.List(claim.Metadata.NamespaceProperty)))
        {
            return ReconcileResult.Done; // a pod event brings us back when the last user goes
        }

        var annotations = claim.Metadata.Annotations ?? new Dictionary<string, string>();
        if (options.DeleteProvisionedVolumes && annotations.TryGetValue(ProvisionedAnnotation, out var p) && p == "true"
            && annotations.TryGetValue(LocalPathAnnotation, out var directory)
            && Path.GetFullPath(directory).StartsWith(layout.VolumesRoot + Path.DirectorySeparatorChar, StringComparison.Ordinal)
            && Directory.Exists(directory))
        {
            Directory.Delete(directory, recursive: true);
            logger.LogInformation("PersistentVolumeClaim {Key} deleted; removed {Directory}", ObjectKey.Of(claim), directory);
        }

        var update = KubeObjects.Clone(claim);
        Ownership.RemoveFinalizer(update, ProtectionFinalizer);
        try
        {
            await api.ReplaceAsync(ClaimType, update, cancellationToken);
        }
        catch (KubeApiException e) when (e.IsNotFound)
        {
        }

        return ReconcileResult.Done;
    }
}
