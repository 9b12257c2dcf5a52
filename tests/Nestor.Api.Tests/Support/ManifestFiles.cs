using System.Reflection;
using System.Text.Json.Nodes;
using k8s.Models;
using Nestor.Api.Manifests;
using Nestor.Testing;

namespace Nestor.Api.Tests.Support;

/// <summary>One YAML document of a manifest file.</summary>
public sealed record ManifestDocument(string File, int Index, JsonObject Json)
{
    public string ApiVersion => (string?)Json["apiVersion"] ?? "";

    public string Kind => (string?)Json["kind"] ?? "";

    public string Name => (string?)Json["metadata"]?["name"] ?? "";

    public override string ToString() => $"{File}#{Index} ({Kind} {Name})";
}

/// <summary>Loads manifests and maps apiVersion/kind to the C# type that reads them.</summary>
public static class ManifestFiles
{
    private static readonly Lazy<Dictionary<string, Type>> KnownTypes = new(BuildTypeMap);

    public static IReadOnlyList<ManifestDocument> Load(string relativeFolder)
    {
        var folder = RepoPaths.Combine(relativeFolder);
        return
        [
            .. Directory.EnumerateFiles(folder, "*.yaml", SearchOption.AllDirectories)
                .Order(StringComparer.Ordinal)
                .SelectMany(file => YamlToJson.ParseDocuments(File.ReadAllText(file), file)
                    .Select((doc, i) => new ManifestDocument(Path.GetRelativePath(RepoPaths.Root, file), i, doc.AsObject()))),
        ];
    }

    /// <summary>The C# type of an apiVersion and kind: the Nestor kinds, or any KubernetesClient model.</summary>
    public static Type? TypeOf(string apiVersion, string kind) => KnownTypes.Value.GetValueOrDefault($"{apiVersion}/{kind}");

    private static Dictionary<string, Type> BuildTypeMap()
    {
        var map = new Dictionary<string, Type>(StringComparer.Ordinal);
        foreach (var type in typeof(V1Pod).Assembly.GetTypes().Concat(NestorKinds.All))
        {
            if (type.GetCustomAttribute<KubernetesEntityAttribute>() is { } entity)
            {
                var apiVersion = string.IsNullOrEmpty(entity.Group) ? entity.ApiVersion : $"{entity.Group}/{entity.ApiVersion}";
                map.TryAdd($"{apiVersion}/{entity.Kind}", type);
            }
        }

        return map;
    }
}
