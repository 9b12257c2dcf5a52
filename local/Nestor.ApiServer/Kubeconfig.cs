using System.Text;

namespace Nestor.ApiServer;

/// <summary>Writes a kubeconfig for the local server (plain HTTP on loopback, a placeholder token: the server does not authenticate).</summary>
public static class Kubeconfig
{
    public const string ContextName = "nestor-local";

    public static string Render(string server, string defaultNamespace = "default")
    {
        var yaml = new StringBuilder();
        yaml.AppendLine("apiVersion: v1");
        yaml.AppendLine("kind: Config");
        yaml.AppendLine("clusters:");
        yaml.AppendLine($"- name: {ContextName}");
        yaml.AppendLine("  cluster:");
        yaml.AppendLine($"    server: {server}");
        yaml.AppendLine("contexts:");
        yaml.AppendLine($"- name: {ContextName}");
        yaml.AppendLine("  context:");
        yaml.AppendLine($"    cluster: {ContextName}");
        yaml.AppendLine($"    user: {ContextName}");
        yaml.AppendLine($"    namespace: {defaultNamespace}");
        yaml.AppendLine($"current-context: {ContextName}");
        yaml.AppendLine("preferences: {}");
        yaml.AppendLine("users:");
        yaml.AppendLine($"- name: {ContextName}");
        // The server ignores credentials, but KubernetesClient's kubeconfig loader refuses a user
        // without any, so the user carries a placeholder token.
        yaml.AppendLine("  user:");
        yaml.AppendLine("    token: nestor-local-no-auth");
        return yaml.ToString();
    }

    /// <summary>Writes the file atomically (temporary file, then rename), creating its folder; owner-only permissions.</summary>
    public static void Write(string path, string server)
    {
        var full = Path.GetFullPath(path);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        var temporary = full + ".tmp";
        File.WriteAllText(temporary, Render(server));
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(temporary, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }

        File.Move(temporary, full, overwrite: true);
    }
}
