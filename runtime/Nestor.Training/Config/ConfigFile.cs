using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Nestor.Training.Config;

/// <summary>
/// Reads the trainer's configuration from a YAML or JSON file: a CompressionRun spec, or a whole CompressionRun
/// object (its spec is used and metadata.name becomes the run's name).
/// </summary>
public static class ConfigFile
{
    public static ElastifyConfig Load(string path)
    {
        if (!File.Exists(path))
        {
            throw new ConfigException($"{path}: no such file");
        }

        JsonNode? node;
        try
        {
            node = ToJson(File.ReadAllText(path));
        }
        catch (Exception e) when (e is YamlException or JsonException)
        {
            throw new ConfigException($"{path}: not valid YAML or JSON: {e.Message}");
        }

        return Parse(node, path);
    }

    public static ElastifyConfig Parse(JsonNode? node, string source)
    {
        if (node is not JsonObject root)
        {
            throw new ConfigException($"{source}: expected an object (a CompressionRun spec or a CompressionRun)");
        }

        string? name = null;
        if (root["spec"] is JsonObject spec && root["kind"]?.GetValue<string>() is { } kind)
        {
            if (kind != "CompressionRun")
            {
                throw new ConfigException($"{source}: kind {kind} is not a CompressionRun");
            }

            name = root["metadata"]?["name"]?.GetValue<string>();
            root = (JsonObject)spec.DeepClone();
        }

        try
        {
            var config = root.Deserialize<ElastifyConfig>(new JsonSerializerOptions { PropertyNameCaseInsensitive = false })
                ?? throw new ConfigException($"{source}: empty configuration");
            config.Name ??= name;
            return config;
        }
        catch (JsonException e)
        {
            var where = string.IsNullOrEmpty(e.Path) ? "" : $" at {e.Path.TrimStart('$', '.')}";
            throw new ConfigException($"{source}: invalid configuration{where}: {e.Message}");
        }
    }

    /// <summary>YAML (a superset of JSON) to a JSON tree: plain scalars become numbers, booleans or null where they read as one.</summary>
    public static JsonNode? ToJson(string text)
    {
        var stream = new YamlStream();
        stream.Load(new StringReader(text));
        return stream.Documents.Count == 0 ? null : Convert(stream.Documents[0].RootNode);
    }

    private static JsonNode? Convert(YamlNode node) => node switch
    {
        YamlMappingNode map => new JsonObject(map.Children.Select(c => KeyValuePair.Create(((YamlScalarNode)c.Key).Value ?? "", Convert(c.Value)))),
        YamlSequenceNode list => new JsonArray([.. list.Children.Select(Convert)]),
        YamlScalarNode scalar => Scalar(scalar),
        _ => throw new ConfigException($"unsupported YAML node at {node.Start}"),
    };

    private static JsonNode? Scalar(YamlScalarNode scalar)
    {
        var value = scalar.Value ?? "";
        if (scalar.Style is ScalarStyle.SingleQuoted or ScalarStyle.DoubleQuoted or ScalarStyle.Literal or ScalarStyle.Folded)
        {
            return JsonValue.Create(value);
        }

        switch (value)
        {
            case "" or "~" or "null" or "Null" or "NULL":
                return null;
            case "true" or "True" or "TRUE":
                return JsonValue.Create(true);
            case "false" or "False" or "FALSE":
                return JsonValue.Create(false);
        }

        if (long.TryParse(value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long integer))
        {
            return JsonValue.Create(integer);
        }

        return double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out double real)
            ? JsonValue.Create(real)
            : JsonValue.Create(value);
    }
}
