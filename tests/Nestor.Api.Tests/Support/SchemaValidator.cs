using System.Collections.Concurrent;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Cel;

namespace Nestor.Api.Tests.Support;

/// <summary>
/// A compact validator for structural CRD schemas, doing what kube-apiserver does to a custom
/// object on create and update, in its order: nulls dropped, defaults applied, then types, required
/// fields, enums, bounds, patterns, formats, list uniqueness, unknown fields (rejected, as kubectl's
/// default strict field validation does) and the CEL rules (x-kubernetes-validations, transition
/// rules when an old object is given). Only metadata.name is checked under metadata, as the API
/// server does. Messages are "path: reason", like the API server's field errors.
/// (local/Nestor.ApiServer has its own, fuller validator; the two could become one.)
/// </summary>
public sealed partial class SchemaValidator
{
    private static readonly CelEnvironment Cel = new(null, null);
    private static readonly ConcurrentDictionary<string, CelProgramDelegate> Programs = new();

    public SchemaValidator(JsonObject openApiV3Schema)
    {
        ArgumentNullException.ThrowIfNull(openApiV3Schema);
        Schema = Reparse(openApiV3Schema);
    }

    public JsonObject Schema { get; }

    /// <summary>The object as the API server would store it: nulls dropped, defaults applied.</summary>
    public JsonObject WithDefaults(JsonObject obj)
    {
        ArgumentNullException.ThrowIfNull(obj);
        var copy = Reparse(obj);
        ApplyDefaults(copy, Schema);
        return copy;
    }

    /// <summary>Every error the API server would report for this object (none: it is accepted).</summary>
    public IReadOnlyList<string> Validate(JsonObject obj, JsonObject? old = null)
    {
        var errors = new List<string>();
        Check(WithDefaults(obj), Schema, "", old is null ? null : WithDefaults(old), errors);
        return errors;
    }

    /// <summary>The errors of one value against one schema node (for example a default against its field's schema).</summary>
    public static IReadOnlyList<string> ValidateValue(JsonNode? value, JsonObject schema, string path)
    {
        ArgumentNullException.ThrowIfNull(schema);
        var errors = new List<string>();
        var validator = new SchemaValidator(schema);
        validator.Check(value is null ? null : JsonNode.Parse(value.ToJsonString()), validator.Schema, path, null, errors);
        return errors;
    }

    /// <summary>Compiles a CEL rule (cached); throws on a syntax error.</summary>
    public static CelProgramDelegate Compile(string rule) => Programs.GetOrAdd(rule, r => Cel.Compile(r));

    private static void ApplyDefaults(JsonNode? node, JsonObject schema)
    {
        if (node is JsonObject obj)
        {
            foreach (var key in obj.Where(p => p.Value is null).Select(p => p.Key).ToList())
            {
                obj.Remove(key);
            }

            var properties = schema["properties"] as JsonObject;
            foreach (var (name, property) in properties ?? [])
            {
                if (!obj.ContainsKey(name) && property!["default"] is { } value)
                {
                    obj[name] = value.DeepClone();
                }
            }

            foreach (var (name, child) in obj.ToList())
            {
                if ((properties?[name] ?? schema["additionalProperties"]) is JsonObject childSchema)
                {
                    ApplyDefaults(child, childSchema);
                }
            }
        }
        else if (node is JsonArray array && schema["items"] is JsonObject items)
        {
            foreach (var item in array)
            {
                ApplyDefaults(item, items);
            }
        }
    }

    private void Check(JsonNode? node, JsonObject schema, string path, JsonNode? old, List<string> errors)
    {
        var before = errors.Count;
        if (schema["x-kubernetes-int-or-string"] is not null)
        {
            CheckIntOrString(node, schema, path, errors);
        }
        else
        {
            switch ((string?)schema["type"])
            {
                case "object":
                    CheckObject(node, schema, path, old, errors);
                    break;
                case "array":
                    CheckArray(node, schema, path, old, errors);
                    break;
                case "string":
                    CheckString(node, schema, path, errors);
                    break;
                case "integer" or "number":
                    CheckNumber(node, schema, path, errors);
                    break;
                case "boolean":
                    if (node?.GetValueKind() is not (JsonValueKind.True or JsonValueKind.False))
                    {
                        errors.Add($"{path}: Invalid value: {Show(node)}: must be of type boolean");
                    }

                    break;
                case null when schema["x-kubernetes-preserve-unknown-fields"] is not null:
                    break;
                default:
                    errors.Add($"{path}: schema has no usable type");
                    break;
            }
        }

        // Like the API server, CEL rules run only on values that passed the schema's other checks.
        if (errors.Count == before && schema["x-kubernetes-validations"] is JsonArray rules)
        {
            CheckRules(node, schema, path, old, rules, errors);
        }
    }

    private void CheckObject(JsonNode? node, JsonObject schema, string path, JsonNode? old, List<string> errors)
    {
        if (node is not JsonObject obj)
        {
            errors.Add($"{path}: Invalid value: {Show(node)}: must be of type object");
            return;
        }

        if (path == "metadata")
        {
            // The API server validates ObjectMeta itself; a CRD may only restrict name and generateName.
            if (schema["properties"]?["name"] is JsonObject nameSchema && obj["name"] is { } name)
            {
                CheckString(name, nameSchema, "metadata.name", errors);
            }

            return;
        }

        var properties = schema["properties"] as JsonObject;
        foreach (var required in schema["required"] as JsonArray ?? [])
        {
            if (!obj.ContainsKey((string)required!))
            {
                errors.Add($"{Join(path, (string)required!)}: Required value");
            }
        }

        foreach (var (key, child) in obj)
        {
            var childSchema = (properties?[key] ?? schema["additionalProperties"]) as JsonObject;
            if (childSchema is not null)
            {
                Check(child, childSchema, Join(path, key), (old as JsonObject)?[key], errors);
            }
            else if (schema["x-kubernetes-preserve-unknown-fields"] is null)
            {
                errors.Add($"{Join(path, key)}: unknown field \"{key}\"");
            }
        }

        Bounds(obj.Count, schema, "minProperties", "maxProperties", path, "entries", errors);
    }

    private void CheckArray(JsonNode? node, JsonObject schema, string path, JsonNode? old, List<string> errors)
    {
        if (node is not JsonArray array)
        {
            errors.Add($"{path}: Invalid value: {Show(node)}: must be of type array");
            return;
        }

        Bounds(array.Count, schema, "minItems", "maxItems", path, "items", errors);
        var items = schema["items"] as JsonObject ?? [];
        var listType = (string?)schema["x-kubernetes-list-type"];
        var keys = (schema["x-kubernetes-list-map-keys"] as JsonArray)?.Select(k => (string)k!).ToList() ?? [];
        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < array.Count; i++)
        {
            var item = array[i];
            JsonNode? oldItem = null;
            if (listType == "map" && item is JsonObject itemObject)
            {
                var key = string.Join("/", keys.Select(k => itemObject[k]?.ToJsonString()));
                if (!seen.Add(key))
                {
                    errors.Add($"{path}[{i}]: Duplicate value: {key}");
                }

                // Map lists correlate old and new items by key, so transition rules run per item.
                oldItem = (old as JsonArray)?.FirstOrDefault(o => o is JsonObject oo && string.Join("/", keys.Select(k => oo[k]?.ToJsonString())) == key);
            }
            else if (listType == "set" && item is not null && !seen.Add(item.ToJsonString()))
            {
                errors.Add($"{path}[{i}]: Duplicate value: {item.ToJsonString()}");
            }

            Check(item, items, $"{path}[{i}]", oldItem, errors);
        }
    }

    private static void CheckString(JsonNode? node, JsonObject schema, string path, List<string> errors)
    {
        if (node?.GetValueKind() != JsonValueKind.String)
        {
            errors.Add($"{path}: Invalid value: {Show(node)}: must be of type string");
            return;
        }

        var text = node.GetValue<string>();
        if (schema["enum"] is JsonArray values && !values.Any(v => (string?)v == text))
        {
            errors.Add($"{path}: Unsupported value: \"{text}\": supported values: {string.Join(", ", values.Select(v => $"\"{v}\""))}");
        }

        Bounds(text.EnumerateRunes().Count(), schema, "minLength", "maxLength", path, "characters", errors);
        if (schema["pattern"] is { } pattern && !Regex.IsMatch(text, (string)pattern!, RegexOptions.None, TimeSpan.FromSeconds(1)))
        {
            errors.Add($"{path}: Invalid value: \"{text}\": should match '{pattern}'");
        }

        if ((string?)schema["format"] == "date-time" && !DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.None, out _))
        {
            errors.Add($"{path}: Invalid value: \"{text}\": must be an RFC 3339 date-time");
        }
    }

    private static void CheckNumber(JsonNode? node, JsonObject schema, string path, List<string> errors)
    {
        if (node?.GetValueKind() != JsonValueKind.Number)
        {
            errors.Add($"{path}: Invalid value: {Show(node)}: must be of type {schema["type"]}");
            return;
        }

        var value = node.GetValue<double>();
        if ((string?)schema["type"] == "integer" && value != Math.Floor(value))
        {
            errors.Add($"{path}: Invalid value: {Show(node)}: must be of type integer");
            return;
        }

        if (schema["minimum"] is { } min)
        {
            var exclusive = schema["exclusiveMinimum"] is not null;
            if (exclusive ? value <= (double)min! : value < (double)min!)
            {
                errors.Add($"{path}: Invalid value: {Show(node)}: should be greater than {(exclusive ? "" : "or equal to ")}{min.ToJsonString()}");
            }
        }

        if (schema["maximum"] is { } max)
        {
            var exclusive = schema["exclusiveMaximum"] is not null;
            if (exclusive ? value >= (double)max! : value > (double)max!)
            {
                errors.Add($"{path}: Invalid value: {Show(node)}: should be less than {(exclusive ? "" : "or equal to ")}{max.ToJsonString()}");
            }
        }
    }

    private static void CheckIntOrString(JsonNode? node, JsonObject schema, string path, List<string> errors)
    {
        switch (node?.GetValueKind())
        {
            case JsonValueKind.Number when node.GetValue<double>() == Math.Floor(node.GetValue<double>()):
                break;
            case JsonValueKind.String:
                if (schema["pattern"] is { } pattern && !Regex.IsMatch(node.GetValue<string>(), (string)pattern!))
                {
                    errors.Add($"{path}: Invalid value: {Show(node)}: should match '{pattern}'");
                }

                break;
            default:
                errors.Add($"{path}: Invalid value: {Show(node)}: must be an integer or a string");
                break;
        }
    }

    private static void CheckRules(JsonNode? node, JsonObject schema, string path, JsonNode? old, JsonArray rules, List<string> errors)
    {
        foreach (var rule in rules.Select(r => r!.AsObject()))
        {
            var text = (string)rule["rule"]!;
            var transition = OldSelf().IsMatch(text);
            if (transition && old is null)
            {
                continue;
            }

            var variables = new Dictionary<string, object?> { ["self"] = ToCel(node, schema) };
            if (transition)
            {
                variables["oldSelf"] = ToCel(old, schema);
            }

            var at = path + ((string?)rule["fieldPath"] ?? "");
            try
            {
                if (Compile(text).Invoke(variables) is not true)
                {
                    errors.Add($"{at}: Invalid value: {rule["message"]}");
                }
            }
            catch (CelException e)
            {
                errors.Add($"{at}: rule \"{text}\" could not be evaluated: {e.Message}");
            }
        }
    }

    /// <summary>The CEL value of a JSON value, typed by its schema as the API server types it.</summary>
    private static object? ToCel(JsonNode? node, JsonObject schema)
    {
        switch (node)
        {
            case null:
                return null;
            case JsonObject obj:
                var properties = schema["properties"] as JsonObject;
                var values = schema["additionalProperties"] as JsonObject;
                return obj.ToDictionary(p => p.Key, p => ToCel(p.Value, (properties?[p.Key] ?? values) as JsonObject ?? []));
            case JsonArray array:
                var items = schema["items"] as JsonObject ?? [];
                return array.Select(i => ToCel(i, items)).ToList();
        }

        return node.GetValueKind() switch
        {
            JsonValueKind.String => node.GetValue<string>(),
            JsonValueKind.True => true,
            JsonValueKind.False => false,
            JsonValueKind.Number when (string?)schema["type"] == "number" => node.GetValue<double>(),
            JsonValueKind.Number when node.GetValue<double>() == Math.Floor(node.GetValue<double>()) => (long)node.GetValue<double>(),
            JsonValueKind.Number => node.GetValue<double>(),
            _ => null,
        };
    }

    private static void Bounds(int count, JsonObject schema, string minKey, string maxKey, string path, string unit, List<string> errors)
    {
        if (schema[minKey] is { } min && count < (int)min!)
        {
            errors.Add($"{path}: Invalid value: {count} {unit}: must have at least {min} {unit}");
        }

        if (schema[maxKey] is { } max && count > (int)max!)
        {
            errors.Add($"{path}: Too many: {count}: must have at most {max} {unit}");
        }
    }

    /// <summary>A copy whose every value is backed by parsed JSON, so numeric conversions behave alike.</summary>
    private static JsonObject Reparse(JsonObject obj) => JsonNode.Parse(obj.ToJsonString())!.AsObject();

    private static string Join(string path, string key) => path.Length == 0 ? key : $"{path}.{key}";

    private static string Show(JsonNode? node) => node?.ToJsonString() ?? "null";

    [GeneratedRegex(@"\boldSelf\b")]
    private static partial Regex OldSelf();
}
