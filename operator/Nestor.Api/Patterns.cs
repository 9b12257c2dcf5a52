namespace Nestor.Api;

/// <summary>Regular expressions shared by the schema (RE2-compatible: the API server evaluates them in Go).</summary>
public static class Patterns
{
    /// <summary>An RFC 1123 label: a budget name, a model name, an object name used in a child's name.</summary>
    public const string DnsLabel = "^[a-z0-9]([-a-z0-9]*[a-z0-9])?$";

    /// <summary>An RFC 1035 label (starts with a letter): names that become Service names.</summary>
    public const string Dns1035Label = "^[a-z]([-a-z0-9]*[a-z0-9])?$";

    /// <summary>An RFC 1123 subdomain: names of objects Nestor only refers to (claims, secrets, storage classes).</summary>
    public const string DnsSubdomain = "^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$";

    /// <summary>A qualified name such as an extended resource (<c>nvidia.com/gpu</c>) or a label key.</summary>
    public const string QualifiedName = "^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$";

    /// <summary>A checkpoint content digest: <c>sha256:</c> and 64 lowercase hex digits (docs/checkpoint-format.md).</summary>
    public const string Digest = "^sha256:[0-9a-f]{64}$";

    /// <summary>A path relative to a volume's root: no leading slash, no empty segments.</summary>
    public const string RelativePath = "^[A-Za-z0-9._-]+(/[A-Za-z0-9._-]+)*$";

    /// <summary>An absolute path in a container.</summary>
    public const string AbsolutePath = "^/([A-Za-z0-9._-]+(/[A-Za-z0-9._-]+)*)?$";

    /// <summary>A model or data location: http(s)://..., s3://bucket/key, or hf://org/name[@revision].</summary>
    public const string ModelUri =
        "^(https?://[^\\s/?#]+[^\\s]*|s3://[a-z0-9][-a-z0-9.]{1,61}[a-z0-9](/[^\\s]*)?|hf://[A-Za-z0-9][-A-Za-z0-9_.]*/[A-Za-z0-9][-A-Za-z0-9_.]*(@[A-Za-z0-9][-A-Za-z0-9_./]*)?)$";

    /// <summary>A Kubernetes resource quantity (<c>resource.Quantity</c>), as apiextensions writes it.</summary>
    public const string Quantity = "^(\\+|-)?(([0-9]+(\\.[0-9]*)?)|(\\.[0-9]+))(([KMGTPE]i)|[numkMGTPE]|([eE](\\+|-)?(([0-9]+(\\.[0-9]*)?)|(\\.[0-9]+))))?$";

    /// <summary>An http(s) URL of a service, such as a Prometheus server.</summary>
    public const string HttpUrl = "^https?://[^\\s/?#]+[^\\s]*$";
}
