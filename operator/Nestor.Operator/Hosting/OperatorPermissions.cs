using k8s.Models;
using Nestor.Api.V1Alpha1;
using Nestor.Operator.Core.Kube;

namespace Nestor.Operator.Hosting;

/// <summary>Where a permission is needed: in every watched namespace, or only where the leader Lease lives.</summary>
public enum PermissionScope
{
    WatchedNamespaces,
    LeaseNamespace,
}

/// <summary>One RBAC rule: API group, resource (with "/subresource"), verbs, and why the operator needs it.</summary>
public sealed record OperatorPermission(string ApiGroup, string Resource, IReadOnlyList<string> Verbs, PermissionScope Scope, string Why);

/// <summary>
/// Every API permission the operator needs, in one place. The Helm chart's Role/ClusterRole must grant
/// exactly these (a test renders the chart and compares), and a test runs the operator host against
/// the local API server and checks that every request it makes is covered here.
/// </summary>
public static class OperatorPermissions
{
    private static readonly string[] Read = ["get", "list", "watch"];
    private static readonly string[] Manage = ["get", "list", "watch", "create", "update", "patch", "delete"];

    public static IReadOnlyList<OperatorPermission> All { get; } =
    [
        // The three kinds: watched; finalizers added and removed on the object itself.
        For<ElasticModel>(null, ["get", "list", "watch", "update", "patch"], "reconcile ElasticModels; add and remove finalizers"),
        For<BudgetTier>(null, ["get", "list", "watch", "update", "patch"], "reconcile BudgetTiers; add and remove finalizers"),
        For<CompressionRun>(null, ["get", "list", "watch", "update", "patch"], "reconcile CompressionRuns; add and remove finalizers"),
        For<ElasticModel>("status", ["get", "update", "patch"], "write ElasticModel status"),
        For<BudgetTier>("status", ["get", "update", "patch"], "write BudgetTier status (replicas, autoscaler decisions)"),
        For<CompressionRun>("status", ["get", "update", "patch"], "write CompressionRun status (phase, progress, result)"),
        // Children carry owner references with blockOwnerDeletion, which the OwnerReferencesPermissionEnforcement
        // admission plugin allows only to a user who may update the owner's finalizers.
        For<ElasticModel>("finalizers", ["update"], "set blockOwnerDeletion on the PVC and loader Job it owns"),
        For<BudgetTier>("finalizers", ["update"], "set blockOwnerDeletion on the Deployment and Service it owns"),
        For<CompressionRun>("finalizers", ["update"], "set blockOwnerDeletion on the Job, ConfigMap and Service it owns"),

        // Children.
        For<V1Deployment>(null, Manage, "a BudgetTier's runtime pods"),
        For<V1Job>(null, Manage, "CompressionRun trainer Jobs and ElasticModel loader Jobs"),
        For<V1Service>(null, Manage, "a BudgetTier's Service; the headless Service of a multi-node CompressionRun"),
        For<V1ConfigMap>(null, Manage, "a CompressionRun's trainer configuration"),
        For<V1PersistentVolumeClaim>(null, Manage, "an ElasticModel's weight volume from claimTemplate"),
        For<V1Pod>(null, Read, "the autoscaler scrapes ready runtime pods; loader and trainer results from pod termination messages"),
        For<V1Pod>("log", ["get"], "live CompressionRun progress from the trainer's last progress line"),
        For<Corev1Event>(null, ["get", "create", "patch"], "record Events on the objects it reconciles (repeats are patched)"),

        // Leader election, in the operator's own namespace only.
        For<V1Lease>(null, ["get", "create", "update"], "leader election on a Lease", PermissionScope.LeaseNamespace),
    ];

    /// <summary>The permissions of one scope as (group, resource, verb) triples.</summary>
    public static IReadOnlySet<(string ApiGroup, string Resource, string Verb)> Triples(PermissionScope scope) =>
        All.Where(p => p.Scope == scope).SelectMany(p => p.Verbs.Select(v => (p.ApiGroup, p.Resource, v))).ToHashSet();

    private static OperatorPermission For<T>(string? subresource, IReadOnlyList<string> verbs, string why,
        PermissionScope scope = PermissionScope.WatchedNamespaces)
    {
        var type = ResourceType.For<T>();
        return new OperatorPermission(type.Group, subresource is null ? type.Plural : $"{type.Plural}/{subresource}", verbs, scope, why);
    }
}
