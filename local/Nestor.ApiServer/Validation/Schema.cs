using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Nestor.ApiServer.Json;
using Nestor.ApiServer.Resources;

namespace Nestor.ApiServer.Validation;

/// <summary>One node of a CRD's structural openAPIV3Schema, parsed once when the CRD is established.</summary>
internal sealed class Schema
{
    public string? Type { get; private init; }

    public string? Format { get; private init; }

    public Dictionary<string, Schema>? Properties { get; private init; }

    public Schema? AdditionalProperties { get; private init; }

    /// <summary>additionalProperties: true (any value kept, no schema).</summary>
    public bool AdditionalPropertiesAny { get; private init; }

    public Schema? Items { get; private init; }

    public IReadOnlyList<string> Required { get; private init; } = [];

    public JsonArray? Enum { get; private init; }

    public double? Minimum { get; private init; }

    public double? Maximum { get; private init; }

    public bool ExclusiveMinimum { get; private init; }

    public bool ExclusiveMaximum { get; private init; }

    public double? MultipleOf { get; private init; }

    public long? MinLength { get; private init; }

    public long? MaxLength { get; private init; }

    public long? MinItems { get; private init; }

    public long? MaxItems { get; private init; }

    public long? MinProperties { get; private init; }

    public long? MaxProperties { get; private init; }

    public Regex? Pattern { get; private init; }

    public string? PatternText { get; private init; }

    public bool UniqueItems { get; private init; }

    public bool Nullable { get; private init; }

    public bool IntOrString { get; private init; }

    public bool PreserveUnknownFields { get; private init; }

    public bool EmbeddedResource { get; private init; }

    public JsonNode? Default { get; private init; }

    public bool HasDefault { get; private init; }

    public string? ListType { get; private init; }

    public IReadOnlyList<string> ListMapKeys { get; private init; } = [];

    public string? MapType { get; private init; }

    public IReadOnlyList<Schema> AllOf { get; private init; } = [];

    public IReadOnlyList<Schema> AnyOf { get; private init; } = [];

    public IReadOnlyList<Schema> OneOf { get; private init; } = [];

    public Schema? Not { get; private init; }

    public IReadOnlyList<CelRule> Rules { get; private init; } = [];

    /// <summary>Parses a schema; <paramref name="path"/> names it in errors (CEL compilation, bad patterns).</summary>
    public static Schema Parse(JsonObject json, string path, List<string> errors)
    {
        var properties = JsonPaths.ObjectAt(json, "properties")?
            .Where(p => p.Value is JsonObject)
            .ToDictionary(p => p.Key, p => Parse((JsonObject)p.Value!, $"{path}.properties[{p.Key}]", errors), StringComparer.Ordinal);
        var additional = json["additionalProperties"];
        Regex? pattern = null;
        var patternText = JsonPaths.GetString(json, "pattern");
        if (patternText is not null)
        {
            try
            {
                pattern = new Regex(patternText, RegexOptions.CultureInvariant, TimeSpan.FromSeconds(1));
            }
            catch (ArgumentException e)
            {
                errors.Add($"{path}.pattern: Invalid value: \"{patternText}\": {e.Message}");
            }
        }

        var rules = new List<CelRule>();
        if (JsonPaths.ArrayAt(json, "x-kubernetes-validations") is { } validations)
        {
            for (var i = 0; i < validations.Count; i++)
            {
                if (validations[i] is JsonObject rule)
                {
                    var parsed = CelRule.Compile(rule, $"{path}.x-kubernetes-validations[{i}]", errors);
                    if (parsed is not null)
                    {
                        rules.Add(parsed);
                    }
                }
            }
        }

        List<Schema> Many(string key) =>
            JsonPaths.ArrayAt(json, key)?.OfType<JsonObject>().Select((s, i) => Parse(s, $"{path}.{key}[{i}]", errors)).ToList() ?? [];

        return new Schema
        {
            Type = JsonPaths.GetString(json, "type"),
            Format = JsonPaths.GetString(json, "format"),
            Properties = properties,
            AdditionalProperties = additional is JsonObject a ? Parse(a, $"{path}.additionalProperties", errors) : null,
            AdditionalPropertiesAny = additional is JsonValue v && v.TryGetValue<bool>(out var b) && b,
            Items = JsonPaths.ObjectAt(json, "items") is { } items ? Parse(items, $"{path}.items", errors) : null,
            Required = JsonPaths.Strings(json["required"]).ToList(),
            Enum = JsonPaths.ArrayAt(json, "enum"),
            Minimum = Number(json, "minimum"),
            Maximum = Number(json, "maximum"),
            ExclusiveMinimum = JsonPaths.GetBool(json, "exclusiveMinimum") ?? false,
            ExclusiveMaximum = JsonPaths.GetBool(json, "exclusiveMaximum") ?? false,
            MultipleOf = Number(json, "multipleOf"),
            MinLength = JsonPaths.GetInt64(json, "minLength"),
            MaxLength = JsonPaths.GetInt64(json, "maxLength"),
            MinItems = JsonPaths.GetInt64(json, "minItems"),
            MaxItems = JsonPaths.GetInt64(json, "maxItems"),
            MinProperties = JsonPaths.GetInt64(json, "minProperties"),
            MaxProperties = JsonPaths.GetInt64(json, "maxProperties"),
            Pattern = pattern,
            PatternText = patternText,
            UniqueItems = JsonPaths.GetBool(json, "uniqueItems") ?? false,
            Nullable = JsonPaths.GetBool(json, "nullable") ?? false,
            IntOrString = JsonPaths.GetBool(json, "x-kubernetes-int-or-string") ?? false,
            PreserveUnknownFields = JsonPaths.GetBool(json, "x-kubernetes-preserve-unknown-fields") ?? false,
            EmbeddedResource = JsonPaths.GetBool(json, "x-kubernetes-embedded-resource") ?? false,
            Default = json["default"],
            HasDefault = json.ContainsKey("default"),
            ListType = JsonPaths.GetString(json, "x-kubernetes-list-type"),
            ListMapKeys = JsonPaths.Strings(json["x-kubernetes-list-map-keys"]).ToList(),
            MapType = JsonPaths.GetString(json, "x-kubernetes-map-type"),
            AllOf = Many("allOf"),
            AnyOf = Many("anyOf"),
            OneOf = Many("oneOf"),
            Not = JsonPaths.ObjectAt(json, "not") is { } not ? Parse(not, $"{path}.not", errors) : null,
            Rules = rules,
        };
    }

    private static double? Number(JsonObject json, string key) =>
        json[key] is JsonValue v && v.GetValueKind() == System.Text.Json.JsonValueKind.Number ? JsonPaths.AsDouble(v) : null;

    /// <summary>The merge structure (list types and keys, atomic maps) for patching and server-side apply.</summary>
    public TypeNode ToTypeNode()
    {
        var node = new TypeNode { AtomicMap = MapType == "atomic" };
        if (Type == "array")
        {
            node.IsList = true;
            node.Elements = Items?.ToTypeNode();
            node.ListKind = ListType switch
            {
                "set" => ListKind.Set,
                "map" => ListKind.Map,
                _ => ListKind.Atomic,
            };
            node.Keys = ListMapKeys;
        }
        else
        {
            node.Fields = Properties?.ToDictionary(p => p.Key, p => p.Value.ToTypeNode(), StringComparer.Ordinal);
            node.Elements = AdditionalProperties?.ToTypeNode();
        }

        return node;
    }
}
