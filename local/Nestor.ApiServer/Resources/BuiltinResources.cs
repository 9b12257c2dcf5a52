using Nestor.ApiServer.Tables;

namespace Nestor.ApiServer.Resources;

/// <summary>The built-in resources served, with kube-apiserver's names, scopes, subresources and behaviours.</summary>
internal static class BuiltinResources
{
    public static IReadOnlyList<ResourceDefinition> All { get; } =
    [
        new()
        {
            Group = "", Version = "v1", Plural = "namespaces", Singular = "namespace", Kind = "Namespace", Namespaced = false,
            ShortNames = ["ns"], HasStatus = true, Strategy = new NamespaceStrategy(), Table = BuiltinTables.Namespaces,
            TypeSchema = BuiltinTypes.Generic, SelectableFields = ["status.phase"],
            Verbs = ["create", "delete", "get", "list", "patch", "update", "watch"],
        },
        new()
        {
            Group = "", Version = "v1", Plural = "pods", Singular = "pod", Kind = "Pod", Namespaced = true,
            ShortNames = ["po"], Categories = ["all"], HasStatus = true, ReturnDeletedObject = true,
            Strategy = new PodStrategy(), Table = BuiltinTables.Pods, TypeSchema = BuiltinTypes.Pod,
            SelectableFields = ["spec.nodeName", "spec.restartPolicy", "spec.schedulerName", "spec.serviceAccountName", "spec.hostNetwork", "status.phase", "status.podIP", "status.nominatedNodeName"],
        },
        new()
        {
            Group = "", Version = "v1", Plural = "services", Singular = "service", Kind = "Service", Namespaced = true,
            ShortNames = ["svc"], Categories = ["all"], HasStatus = true, ReturnDeletedObject = true,
            Strategy = new ServiceStrategy(), Table = BuiltinTables.Services, TypeSchema = BuiltinTypes.Service,
            Verbs = ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"],
        },
        new()
        {
            Group = "", Version = "v1", Plural = "configmaps", Singular = "configmap", Kind = "ConfigMap", Namespaced = true,
            ShortNames = ["cm"], Table = BuiltinTables.ConfigMaps, TypeSchema = BuiltinTypes.DataObject,
        },
        new()
        {
            Group = "", Version = "v1", Plural = "secrets", Singular = "secret", Kind = "Secret", Namespaced = true,
            Strategy = new SecretStrategy(), Table = BuiltinTables.Secrets, TypeSchema = BuiltinTypes.DataObject, SelectableFields = ["type"],
        },
        new()
        {
            Group = "", Version = "v1", Plural = "serviceaccounts", Singular = "serviceaccount", Kind = "ServiceAccount", Namespaced = true,
            ShortNames = ["sa"], Table = BuiltinTables.ServiceAccounts, TypeSchema = BuiltinTypes.Generic,
        },
        new()
        {
            Group = "", Version = "v1", Plural = "events", Singular = "event", Kind = "Event", Namespaced = true,
            ShortNames = ["ev"], Table = BuiltinTables.Events, TypeSchema = BuiltinTypes.Generic,
            SelectableFields = ["involvedObject.kind", "involvedObject.namespace", "involvedObject.name", "involvedObject.uid", "involvedObject.apiVersion",
                "involvedObject.resourceVersion", "involvedObject.fieldPath", "reason", "reportingComponent", "source", "type"],
        },
        new()
        {
            Group = "", Version = "v1", Plural = "persistentvolumeclaims", Singular = "persistentvolumeclaim", Kind = "PersistentVolumeClaim", Namespaced = true,
            ShortNames = ["pvc"], HasStatus = true, Strategy = new PersistentVolumeClaimStrategy(), Table = BuiltinTables.PersistentVolumeClaims,
            TypeSchema = BuiltinTypes.Generic,
        },
        new()
        {
            Group = "apps", Version = "v1", Plural = "deployments", Singular = "deployment", Kind = "Deployment", Namespaced = true,
            ShortNames = ["deploy"], Categories = ["all"], HasStatus = true, TracksGeneration = true,
            Scale = new ScaleSpec(".spec.replicas", ".status.replicas", null),
            Strategy = new DeploymentStrategy(), Table = BuiltinTables.Deployments, TypeSchema = BuiltinTypes.Deployment,
        },
        new()
        {
            Group = "batch", Version = "v1", Plural = "jobs", Singular = "job", Kind = "Job", Namespaced = true,
            Categories = ["all"], HasStatus = true, TracksGeneration = true, DefaultPropagation = PropagationPolicy.Orphan,
            Strategy = new JobStrategy(), Table = BuiltinTables.Jobs, TypeSchema = BuiltinTypes.Job,
        },
        new()
        {
            Group = "coordination.k8s.io", Version = "v1", Plural = "leases", Singular = "lease", Kind = "Lease", Namespaced = true,
            Table = BuiltinTables.Leases, TypeSchema = BuiltinTypes.Generic,
        },
        new()
        {
            Group = "apiextensions.k8s.io", Version = "v1", Plural = "customresourcedefinitions", Singular = "customresourcedefinition",
            Kind = "CustomResourceDefinition", Namespaced = false, ShortNames = ["crd", "crds"], Categories = ["api-extensions"],
            HasStatus = true, TracksGeneration = true, Strategy = new CrdStrategy(), Table = BuiltinTables.CustomResourceDefinitions,
            TypeSchema = BuiltinTypes.Crd,
        },
    ];

    public static readonly ITableConvertor DefaultTable = ColumnTable.Default;
}
