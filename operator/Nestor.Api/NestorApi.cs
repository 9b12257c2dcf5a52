namespace Nestor.Api;

/// <summary>The API group and version of Nestor's custom resources.</summary>
public static class NestorApi
{
    public const string Group = "nestor.dev";
    public const string Version = "v1alpha1";
    public const string GroupVersion = Group + "/" + Version;

    /// <summary>The kubectl category of every Nestor kind: <c>kubectl get nestor</c>.</summary>
    public const string Category = "nestor";
}
