using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Nestor.ApiServer.Http;

namespace Nestor.ApiServer.Validation;

/// <summary>
/// What kube-apiserver does with a custom resource against its structural schema: prune unknown fields
/// (reporting them for fieldValidation), drop nulls where not nullable, apply defaults, then validate
/// (types, formats, enum, bounds, lengths, pattern, items, properties, list types, allOf/anyOf/oneOf/not,
/// x-kubernetes-validations). apiVersion, kind and metadata at the root are left to the generic code.
/// </summary>
internal static class SchemaProcessor
{
    private static readonly HashSet<string> RootFields = ["apiVersion", "kind", "metadata"];

    public static void PruneAndDefault(JsonObject root, Schema schema, List<string> unknownFields)
    {
        PruneObject(root, schema, "", unknownFields, isRoot: true);
        ApplyDefaults(root, schema);
    }

    private static void Prune(JsonNode? node, Schema? schema, string path, List<string> unknown)
    {
        if (schema is null || schema.PreserveUnknownFields && schema.Properties is null && schema.AdditionalProperties is null)
        {
            return;
        }

        switch (node)
        {
            case JsonObject obj:
                PruneObject(obj, schema, path, unknown, isRoot: false);
                break;
            case JsonArray arr:
                for (var i = 0; i < arr.Count; i++)
                {
                    Prune(arr[i], schema.Items, FieldError.FormatIndex(path, i), unknown);
                }

                break;
        }
    }

    private static void PruneObject(JsonObject obj, Schema schema, string path, List<string> unknown, bool isRoot)
    {
        foreach (var key in obj.Select(p => p.Key).ToList())
        {
            if ((isRoot || schema.EmbeddedResource) && RootFields.Contains(key))
            {
                continue;
            }

            var childPath = path.Length == 0 ? key : $"{path}.{key}";
            if (schema.Properties is not null && schema.Properties.TryGetValue(key, out var property))
            {
                if (obj[key] is null && !property.Nullable)
                {
                    obj.Remove(key);
                    continue;
                }

                Prune(obj[key], property, childPath, unknown);
            }
            else if (schema.AdditionalProperties is not null)
            {
                Prune(obj[key], schema.AdditionalProperties, childPath, unknown);
            }
            else if (!schema.PreserveUnknownFields && !schema.AdditionalPropertiesAny)
            {
                obj.Remove(key);
                unknown.Add(childPath);
            }
        }
    }

    private static void ApplyDefaults(JsonNode? node, Schema? schema)
    {
        if (schema is null)
        {
            return;
        }

        switch (node)
        {
            case JsonObject obj:
                if (schema.Properties is not null)
                {
                    foreach (var (name, property) in schema.Properties)
                    {
                        if (property.HasDefault && (!obj.ContainsKey(name) || obj[name] is null && !property.Nullable))
                        {
                            obj[name] = property.Default?.DeepClone();
                        }
                    }
                }

                foreach (var (key, value) in obj.ToList())
                {
                    ApplyDefaults(value, schema.Properties?.GetValueOrDefault(key) ?? schema.AdditionalProperties);
                }

                break;
            case JsonArray arr:
                foreach (var item in arr)
                {
                    ApplyDefaults(item, schema.Items);
                }

                break;
        }
    }

    public static List<FieldError> Validate(JsonObject root, Schema schema, JsonObject? old)
    {
        var errors = new List<FieldError>();
        var rootCopy = new JsonObject();
        foreach (var (key, value) in root)
        {
            if (!RootFields.Contains(key))
            {
                rootCopy[key] = value?.DeepClone();
            }
        }

        ValidateNode(rootCopy, schema, "", errors, old, old is not null, isRoot: true);
        return errors;
    }

    private static void ValidateNode(JsonNode? node, Schema schema, string path, List<FieldError> errors, JsonNode? old, bool hasOld, bool isRoot = false)
    {
        var name = path.Length == 0 ? "<root>" : path;
        if (node is null)
        {
            if (!schema.Nullable && schema.Type is not null)
            {
                errors.Add(FieldError.Invalid(name, JsonValue.Create("null"), $"{name} in body must be of type {schema.Type}: \"null\""));
            }

            return;
        }

        if (!TypeMatches(node, schema))
        {
            var actual = Json.JsonPaths.Describe(node);
            errors.Add(FieldError.Invalid(name, JsonValue.Create(actual), $"{name} in body must be of type {(schema.IntOrString ? "integer or string" : schema.Type)}: \"{actual}\""));
            return;
        }

        if (schema.Enum is not null && !schema.Enum.Any(e => JsonNode.DeepEquals(e, node)))
        {
            errors.Add(FieldError.NotSupported(name, node, schema.Enum.Select(e => e?.ToJsonString() ?? "null")));
        }

        switch (node)
        {
            case JsonValue value:
                ValidateScalar(value, schema, name, errors);
                break;
            case JsonArray array:
                ValidateArray(array, schema, path, name, errors, old as JsonArray, hasOld);
                break;
            case JsonObject obj:
                ValidateObject(obj, schema, path, name, errors, old as JsonObject, hasOld, isRoot);
                break;
        }

        foreach (var sub in schema.AllOf)
        {
            ValidateNode(node, sub, path, errors, old, hasOld);
        }

        if (schema.AnyOf.Count > 0 && !schema.AnyOf.Any(s => Passes(node, s)))
        {
            errors.Add(FieldError.Invalid(name, node, $"{name} in body must validate at least one schema (anyOf)"));
        }

        if (schema.OneOf.Count > 0 && schema.OneOf.Count(s => Passes(node, s)) != 1)
        {
            errors.Add(FieldError.Invalid(name, node, $"{name} in body must validate one and only one schema (oneOf)"));
        }

        if (schema.Not is not null && Passes(node, schema.Not))
        {
            errors.Add(FieldError.Invalid(name, node, $"{name} in body must not validate the schema (not)"));
        }

        foreach (var rule in schema.Rules)
        {
            var failure = rule.Check(node, schema, old, hasOld);
            if (failure is null)
            {
                continue;
            }

            var field = rule.FieldPath is { Length: > 0 } fp ? (path + fp).TrimStart('.') : name;
            errors.Add(rule.Reason switch
            {
                "FieldValueRequired" => FieldError.Required(field, failure),
                "FieldValueForbidden" => FieldError.Forbidden(field, failure),
                "FieldValueDuplicate" => new FieldError(FieldErrorType.Duplicate, field, failure, node is JsonValue ? node : JsonValue.Create("object"), true),
                _ => FieldError.Invalid(field, node is JsonValue ? node : JsonValue.Create(node is JsonArray ? "array" : "object"), failure),
            });
        }
    }

    private static bool Passes(JsonNode node, Schema schema)
    {
        var errors = new List<FieldError>();
        ValidateNode(node, schema, "x", errors, null, false);
        return errors.Count == 0;
    }

    private static bool TypeMatches(JsonNode node, Schema schema)
    {
        if (schema.IntOrString)
        {
            return node is JsonValue v && (v.GetValueKind() == JsonValueKind.String || IsInteger(v));
        }

        return schema.Type switch
        {
            null or "" => true,
            "object" => node is JsonObject,
            "array" => node is JsonArray,
            "string" => node is JsonValue s && s.GetValueKind() == JsonValueKind.String,
            "boolean" => node is JsonValue b && b.GetValueKind() is JsonValueKind.True or JsonValueKind.False,
            "integer" => node is JsonValue i && IsInteger(i),
            "number" => node is JsonValue n && n.GetValueKind() == JsonValueKind.Number,
            _ => true,
        };
    }

    private static bool IsInteger(JsonValue v) =>
        v.GetValueKind() == JsonValueKind.Number && (v.TryGetValue<long>(out _) || Math.Floor(Json.JsonPaths.AsDouble(v)) == Json.JsonPaths.AsDouble(v));

    private static void ValidateScalar(JsonValue value, Schema schema, string name, List<FieldError> errors)
    {
        if (value.GetValueKind() == JsonValueKind.Number)
        {
            var d = Json.JsonPaths.AsDouble(value);
            if (schema.Minimum is { } min && (schema.ExclusiveMinimum ? d <= min : d < min))
            {
                errors.Add(FieldError.Invalid(name, value, $"{name} in body should be greater than {(schema.ExclusiveMinimum ? "" : "or equal to ")}{Num(min)}"));
            }

            if (schema.Maximum is { } max && (schema.ExclusiveMaximum ? d >= max : d > max))
            {
                errors.Add(FieldError.Invalid(name, value, $"{name} in body should be less than {(schema.ExclusiveMaximum ? "" : "or equal to ")}{Num(max)}"));
            }

            if (schema.MultipleOf is { } multiple && multiple != 0 && Math.Abs(Math.IEEERemainder(d, multiple)) > 1e-9)
            {
                errors.Add(FieldError.Invalid(name, value, $"{name} in body should be a multiple of {Num(multiple)}"));
            }

            if (schema.Format == "int32" && (d < int.MinValue || d > int.MaxValue))
            {
                errors.Add(FieldError.Invalid(name, value, $"{name} in body must be of type int32: \"{Num(d)}\""));
            }
        }

        if (value.GetValueKind() == JsonValueKind.String)
        {
            var s = value.GetValue<string>();
            var length = new System.Globalization.StringInfo(s).LengthInTextElements;
            if (schema.MaxLength is { } maxLength && length > maxLength)
            {
                errors.Add(FieldError.TooLong(name, value, maxLength) with { Detail = $"may not be more than {maxLength} bytes" });
            }

            if (schema.MinLength is { } minLength && length < minLength)
            {
                errors.Add(FieldError.Invalid(name, value, $"{name} in body should be at least {minLength} chars long"));
            }

            if (schema.Pattern is not null && !schema.Pattern.IsMatch(s))
            {
                errors.Add(FieldError.Invalid(name, value, $"{name} in body should match '{schema.PatternText}'"));
            }

            if (FormatError(schema.Format, s) is { } formatError)
            {
                errors.Add(FieldError.Invalid(name, value, $"{name} in body must be of type {schema.Format}: \"{s}\"" + formatError));
            }
        }
    }

    private static string? FormatError(string? format, string s) => format switch
    {
        "date-time" => DateTimeOffset.TryParse(s, CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind, out _) && s.Contains('T', StringComparison.OrdinalIgnoreCase) ? null : "",
        "date" => DateOnly.TryParseExact(s, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out _) ? null : "",
        "uuid" => Guid.TryParse(s, out _) ? null : "",
        "byte" => IsBase64(s) ? null : "",
        "ipv4" => System.Net.IPAddress.TryParse(s, out var ip) && ip.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork ? null : "",
        _ => null,
    };

    private static bool IsBase64(string s)
    {
        var buffer = new byte[s.Length];
        return Convert.TryFromBase64String(s, buffer, out _);
    }

    private static string Num(double d) => d.ToString(CultureInfo.InvariantCulture);

    private static void ValidateArray(JsonArray array, Schema schema, string path, string name, List<FieldError> errors, JsonArray? old, bool hasOld)
    {
        if (schema.MaxItems is { } maxItems && array.Count > maxItems)
        {
            errors.Add(FieldError.TooMany(name, array.Count, maxItems));
        }

        if (schema.MinItems is { } minItems && array.Count < minItems)
        {
            errors.Add(FieldError.Invalid(name, JsonValue.Create(array.Count), $"{name} in body should have at least {minItems} items"));
        }

        if (schema.UniqueItems || schema.ListType == "set")
        {
            for (var i = 0; i < array.Count; i++)
            {
                if (array.Take(i).Any(prior => JsonNode.DeepEquals(prior, array[i])))
                {
                    errors.Add(FieldError.Duplicate(FieldError.FormatIndex(name, i), array[i]));
                }
            }
        }

        if (schema.ListType == "map" && schema.ListMapKeys.Count > 0)
        {
            var seen = new HashSet<string>(StringComparer.Ordinal);
            for (var i = 0; i < array.Count; i++)
            {
                var key = KeyOf(array[i], schema.ListMapKeys);
                if (!seen.Add(key))
                {
                    errors.Add(FieldError.Duplicate(FieldError.FormatIndex(name, i), JsonNode.Parse(key)));
                }
            }
        }

        if (schema.Items is null)
        {
            return;
        }

        for (var i = 0; i < array.Count; i++)
        {
            // Transition rules correlate list items only in map lists, by key (as kube-apiserver does).
            JsonNode? oldItem = null;
            var itemHasOld = false;
            if (hasOld && old is not null && schema.ListType == "map" && schema.ListMapKeys.Count > 0)
            {
                var key = KeyOf(array[i], schema.ListMapKeys);
                oldItem = old.FirstOrDefault(o => KeyOf(o, schema.ListMapKeys) == key);
                itemHasOld = oldItem is not null;
            }

            ValidateNode(array[i], schema.Items, FieldError.FormatIndex(path, i), errors, oldItem, itemHasOld);
        }
    }

    private static string KeyOf(JsonNode? item, IReadOnlyList<string> keys)
    {
        var key = new JsonObject();
        foreach (var k in keys)
        {
            key[k] = (item as JsonObject)?[k]?.DeepClone();
        }

        return key.ToJsonString();
    }

    private static void ValidateObject(JsonObject obj, Schema schema, string path, string name, List<FieldError> errors, JsonObject? old, bool hasOld, bool isRoot)
    {
        foreach (var required in schema.Required)
        {
            if (!obj.ContainsKey(required) && !(isRoot && RootFields.Contains(required)))
            {
                errors.Add(FieldError.Required(path.Length == 0 ? required : $"{path}.{required}"));
            }
        }

        if (schema.MaxProperties is { } maxProperties && obj.Count > maxProperties)
        {
            errors.Add(FieldError.TooMany(name, obj.Count, maxProperties) with { Detail = $"must have at most {maxProperties} properties" });
        }

        if (schema.MinProperties is { } minProperties && obj.Count < minProperties)
        {
            errors.Add(FieldError.Invalid(name, JsonValue.Create(obj.Count), $"{name} in body should have at least {minProperties} properties"));
        }

        foreach (var (key, value) in obj)
        {
            var child = schema.Properties?.GetValueOrDefault(key) ?? schema.AdditionalProperties;
            if (child is null)
            {
                continue;
            }

            var childPath = path.Length == 0 ? key : $"{path}.{key}";
            var oldValue = old?[key];
            ValidateNode(value, child, childPath, errors, oldValue, hasOld && old is not null && old.ContainsKey(key));
        }
    }
}
