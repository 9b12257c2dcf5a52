using k8s.Models;
using Nestor.Operator.Core.Kube;

namespace Nestor.Local.Cluster;

/// <summary>Installs CustomResourceDefinitions from YAML files with server-side apply (so a restart over persisted state updates them).</summary>
public static class CrdInstaller
{
    private static readonly ResourceType CrdType = ResourceType.For<V1CustomResourceDefinition>();

    /// <summary>Applies every *.yaml/*.yml file under the given folders (or the given files); returns the CRD names.</summary>
    public static async Task<IReadOnlyList<string>> InstallAsync(KubeApiClient api, IEnumerable<string> paths, CancellationToken cancellationToken)
    {
        var names = new List<string>();
        foreach (var file in paths.SelectMany(Files).Order(StringComparer.Ordinal))
        {
            var text = await File.ReadAllTextAsync(file, cancellationToken);
            foreach (var document in text.Split("\n---", StringSplitOptions.RemoveEmptyEntries))
            {
                var name = NameOf(document);
                if (name is null || !document.Contains("kind: CustomResourceDefinition", StringComparison.Ordinal))
                {
                    continue;
                }

                try
                {
                    await api.PatchAsync<V1CustomResourceDefinition>(CrdType, null, name, PatchKind.Apply, document, cancellationToken, force: true);
                }
                catch (KubeApiException e)
                {
                    throw new InvalidOperationException($"installing the CRD {name} from {file} failed: {e.Message}", e);
                }

                names.Add(name);
            }
        }

        return names;
    }

    private static IEnumerable<string> Files(string path) =>
        Directory.Exists(path)
            ? Directory.EnumerateFiles(path, "*.*", SearchOption.TopDirectoryOnly).Where(f => f.EndsWith(".yaml", StringComparison.Ordinal) || f.EndsWith(".yml", StringComparison.Ordinal))
            : File.Exists(path) ? [path] : throw new FileNotFoundException($"CRD path {path} does not exist", path);

    /// <summary>metadata.name of a YAML document (the first "  name:" under "metadata:").</summary>
    private static string? NameOf(string document)
    {
        var inMetadata = false;
        foreach (var line in document.Split('\n'))
        {
            if (line.StartsWith("metadata:", StringComparison.Ordinal))
            {
                inMetadata = true;
                continue;
            }

            if (inMetadata && line.Length > 0 && !char.IsWhiteSpace(line[0]))
            {
                return null;
            }

            var trimmed = line.Trim();
            if (inMetadata && trimmed.StartsWith("name:", StringComparison.Ordinal) && line.StartsWith("  name:", StringComparison.Ordinal))
            {
                return trimmed["name:".Length..].Trim().Trim('"', '\'');
            }
        }

        return null;
    }
}
