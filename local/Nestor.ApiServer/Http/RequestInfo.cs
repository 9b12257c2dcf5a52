namespace Nestor.ApiServer.Http;

/// <summary>
/// A Kubernetes resource request parsed from its path and method, like kube-apiserver's RequestInfoFactory:
/// /api/v1/..., /apis/{group}/{version}/..., optional legacy /watch/, /namespaces/{ns}/{resource}/{name}/{subresource}.
/// </summary>
internal sealed record RequestInfo(string Verb, string Group, string Version, string Resource, string Namespace, string? Name, string? Subresource)
{
    private static readonly HashSet<string> NamespaceSubresources = ["status", "finalize"];

    public static RequestInfo? Parse(string method, string path, bool watchQuery)
    {
        var parts = path.Trim('/').Split('/', StringSplitOptions.RemoveEmptyEntries);
        string group, version;
        int index;
        if (parts.Length >= 2 && parts[0] == "api")
        {
            (group, version, index) = ("", parts[1], 2);
        }
        else if (parts.Length >= 3 && parts[0] == "apis")
        {
            (group, version, index) = (parts[1], parts[2], 3);
        }
        else
        {
            return null;
        }

        var rest = parts[index..];
        if (rest.Length == 0)
        {
            return null;
        }

        var legacyWatch = false;
        if (rest[0] == "watch")
        {
            legacyWatch = true;
            rest = rest[1..];
            if (rest.Length == 0)
            {
                return null;
            }
        }

        var ns = "";
        if (rest[0] == "namespaces" && rest.Length > 1)
        {
            ns = rest[1];
            if (rest.Length > 2 && !NamespaceSubresources.Contains(rest[2]))
            {
                rest = rest[2..];
            }
        }

        var resource = rest[0];
        var name = rest.Length >= 2 ? rest[1] : null;
        var subresource = rest.Length >= 3 ? string.Join('/', rest[2..]) : null;
        var verb = method switch
        {
            "GET" or "HEAD" when legacyWatch || watchQuery && name is null => "watch",
            "GET" or "HEAD" => name is null ? "list" : "get",
            "POST" => "create",
            "PUT" => "update",
            "PATCH" => "patch",
            "DELETE" => name is null ? "deletecollection" : "delete",
            _ => method.ToLowerInvariant(),
        };
        return new RequestInfo(verb, group, version, resource, ns, name, subresource);
    }
}
