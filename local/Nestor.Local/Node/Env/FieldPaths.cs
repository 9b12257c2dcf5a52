using System.Text;
using k8s.Models;

namespace Nestor.Local.Node.Env;

/// <summary>The downward API's fieldRef paths, resolved against a pod and the node agent's facts about it.</summary>
public static class FieldPaths
{
    public static string Resolve(V1Pod pod, string fieldPath, string podIp, string hostIp, bool allowMaps = false)
    {
        if (TrySubscript(fieldPath, "metadata.labels", out var label))
        {
            return pod.Metadata.Labels?.TryGetValue(label, out var value) == true ? value : "";
        }

        if (TrySubscript(fieldPath, "metadata.annotations", out var annotation))
        {
            return pod.Metadata.Annotations?.TryGetValue(annotation, out var value) == true ? value : "";
        }

        return fieldPath switch
        {
            "metadata.name" => pod.Metadata.Name,
            "metadata.namespace" => pod.Metadata.NamespaceProperty,
            "metadata.uid" => pod.Metadata.Uid,
            "spec.nodeName" => pod.Spec.NodeName ?? "",
            "spec.serviceAccountName" => pod.Spec.ServiceAccountName ?? "",
            "status.hostIP" or "status.hostIPs" => hostIp,
            "status.podIP" or "status.podIPs" => podIp,
            "metadata.labels" when allowMaps => FormatMap(pod.Metadata.Labels),
            "metadata.annotations" when allowMaps => FormatMap(pod.Metadata.Annotations),
            _ => throw new ContainerConfigException($"unsupported fieldPath: {fieldPath}"),
        };
    }

    /// <summary>metadata.labels['key'] → key.</summary>
    private static bool TrySubscript(string path, string prefix, out string key)
    {
        key = "";
        if (!path.StartsWith(prefix + "[", StringComparison.Ordinal) || !path.EndsWith(']'))
        {
            return false;
        }

        key = path[(prefix.Length + 1)..^1].Trim('\'', '"');
        return true;
    }

    /// <summary>The downward API volume format of a map: one key="value" line per entry, sorted, values quoted as Go's %q.</summary>
    private static string FormatMap(IDictionary<string, string>? map)
    {
        var builder = new StringBuilder();
        foreach (var (key, value) in (map ?? new Dictionary<string, string>()).OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            builder.Append(key).Append("=\"").Append(value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal)
                .Replace("\n", "\\n", StringComparison.Ordinal)).Append("\"\n");
        }

        return builder.ToString();
    }
}

/// <summary>A container cannot be configured (kube's CreateContainerConfigError): a missing ConfigMap or key, a bad fieldRef.</summary>
public sealed class ContainerConfigException(string message) : Exception(message);
