using System.Reflection;
using k8s.Models;

namespace Nestor.Operator.Core.Kube;

/// <summary>Where a kind lives in the API: group, version, plural, and whether it is namespaced.</summary>
public sealed record ResourceType(string Group, string Version, string Plural, string Kind, bool Namespaced)
{
    public string ApiVersion => Group.Length == 0 ? Version : $"{Group}/{Version}";

    /// <summary>"deployments.apps", "pods", "elasticmodels.nestor.dev": the name RBAC and logs use.</summary>
    public string GroupResource => Group.Length == 0 ? Plural : $"{Plural}.{Group}";

    public string PathPrefix => Group.Length == 0 ? $"/api/{Version}" : $"/apis/{Group}/{Version}";

    /// <summary>The path of a collection or, with a name, of one object (and optionally its subresource).</summary>
    public string PathFor(string? @namespace, string? name = null, string? subresource = null)
    {
        var path = Namespaced && !string.IsNullOrEmpty(@namespace)
            ? $"{PathPrefix}/namespaces/{Uri.EscapeDataString(@namespace)}/{Plural}"
            : $"{PathPrefix}/{Plural}";
        if (name is not null)
        {
            path += "/" + Uri.EscapeDataString(name);
            if (subresource is not null)
            {
                path += "/" + subresource;
            }
        }

        return path;
    }

    /// <summary>Reads the KubernetesEntity attribute that KubernetesClient's models and Nestor's types carry.</summary>
    public static ResourceType For<T>() => For(typeof(T));

    public static ResourceType For(Type type)
    {
        var entity = type.GetCustomAttribute<KubernetesEntityAttribute>()
            ?? throw new ArgumentException($"{type.Name} has no [KubernetesEntity] attribute.", nameof(type));
        return new ResourceType(entity.Group ?? "", entity.ApiVersion, entity.PluralName, entity.Kind,
            !ClusterScoped.Contains(entity.PluralName));
    }

    // Built-in cluster-scoped kinds an operator might touch; custom resources declare scope on the type.
    private static readonly HashSet<string> ClusterScoped =
        ["namespaces", "nodes", "persistentvolumes", "customresourcedefinitions", "clusterroles", "clusterrolebindings", "storageclasses"];

    public override string ToString() => GroupResource;
}
