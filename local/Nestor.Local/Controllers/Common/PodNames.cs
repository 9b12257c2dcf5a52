namespace Nestor.Local.Controllers.Common;

/// <summary>Name prefixes for generated pods, trimmed as kube does so that the generated name stays a valid DNS subdomain.</summary>
public static class PodNames
{
    private const int MaxGeneratedNameLength = 58; // 63 minus the 5 random characters the API server appends

    public static string GeneratePrefix(string baseName)
    {
        var prefix = baseName + "-";
        return prefix.Length > MaxGeneratedNameLength ? prefix[..MaxGeneratedNameLength] : prefix;
    }
}
