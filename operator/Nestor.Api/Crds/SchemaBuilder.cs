using System.Collections;
using System.Reflection;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using k8s;
using k8s.Models;
using Nestor.Api.Schema;

namespace Nestor.Api.Crds;

/// <summary>
/// Builds the structural OpenAPI v3 schema of a custom resource by reflection over its C# type and
/// the attributes in <see cref="Nestor.Api.Schema"/>. Embedded KubernetesClient models (resources,
/// tolerations, affinity, env, conditions) are expanded by reflection too. While building, it
/// collects one <see cref="FieldDoc"/> per documented field for the CRD reference.
/// </summary>
public sealed class SchemaBuilder
{
    private const string ApiVersionDescription =
        "APIVersion defines the versioned schema of this representation of an object. Servers should convert recognized schemas to the latest internal value, and may reject unrecognized values.";

    private const string KindDescription =
        "Kind is a string value representing the REST resource this object represents. Servers may infer this from the endpoint the client submits requests to. In CamelCase.";

    private static readonly string[] KeyOrder =
    [
        "description", "type", "format", "enum", "default", "minimum", "exclusiveMinimum", "maximum", "exclusiveMaximum",
        "minLength", "maxLength", "pattern", "minItems", "maxItems", "minProperties", "maxProperties", "items", "properties",
        "additionalProperties", "required", "anyOf", "x-kubernetes-int-or-string", "x-kubernetes-list-type",
        "x-kubernetes-list-map-keys", "x-kubernetes-preserve-unknown-fields", "x-kubernetes-validations",
    ];

    private readonly List<FieldDoc> fields = [];
    private readonly HashSet<Type> inProgress = [];

    /// <summary>The documented fields met so far, parents before children.</summary>
    public IReadOnlyList<FieldDoc> Fields => fields;

    /// <summary>The <c>openAPIV3Schema</c> of a resource type (one with <see cref="KubernetesEntityAttribute"/>).</summary>
    public JsonObject RootSchema(Type resource)
    {
        ArgumentNullException.ThrowIfNull(resource);
        var metadata = new JsonObject { ["type"] = "object" };
        if (resource.GetCustomAttribute<NameConstraintAttribute>() is { } name)
        {
            metadata["properties"] = new JsonObject
            {
                ["name"] = new JsonObject { ["type"] = "string", ["maxLength"] = name.MaxLength, ["pattern"] = name.Pattern },
            };
        }

        var properties = new JsonObject
        {
            ["apiVersion"] = new JsonObject { ["description"] = ApiVersionDescription, ["type"] = "string" },
            ["kind"] = new JsonObject { ["description"] = KindDescription, ["type"] = "string" },
            ["metadata"] = metadata,
        };
        var required = new JsonArray();
        var instance = Activator.CreateInstance(resource);
        foreach (var property in Properties(resource).Where(p => !properties.ContainsKey(JsonName(p))))
        {
            properties[JsonName(property)] = PropertySchema(property, JsonName(property), instance, document: true);
            if (property.IsDefined(typeof(RequiredAttribute)))
            {
                required.Add(JsonName(property));
            }
        }

        var root = new JsonObject
        {
            ["description"] = Description(resource) ?? throw Missing(resource),
            ["type"] = "object",
            ["properties"] = properties,
        };
        if (required.Count > 0)
        {
            root["required"] = required;
        }

        return root;
    }

    private JsonObject ObjectSchema(Type type, string path, bool document)
    {
        if (!inProgress.Add(type))
        {
            throw new InvalidOperationException($"{type.FullName} contains itself (at {path}): a CRD schema cannot be recursive.");
        }

        try
        {
            var nestor = IsNestorType(type);
            var instance = nestor ? Activator.CreateInstance(type) : null;
            var properties = new JsonObject();
            var required = new JsonArray();
            var requiredByKubernetes = nestor ? [] : KubernetesModelSchemas.Required(type);
            foreach (var property in Properties(type))
            {
                var name = JsonName(property);
                properties[name] = PropertySchema(property, $"{path}.{name}", instance, document && nestor);
                if (nestor ? property.IsDefined(typeof(RequiredAttribute)) : requiredByKubernetes.Contains(name))
                {
                    required.Add(name);
                }
            }

            var node = new JsonObject { ["type"] = "object" };
            if (properties.Count > 0)
            {
                node["properties"] = properties;
            }

            if (required.Count > 0)
            {
                node["required"] = required;
            }

            foreach (var rule in type.GetCustomAttributes<ValidationRuleAttribute>())
            {
                AddRule(node, Rule(rule));
            }

            return node;
        }
        finally
        {
            inProgress.Remove(type);
        }
    }

    private JsonObject PropertySchema(PropertyInfo property, string path, object? instance, bool document)
    {
        var declaring = property.DeclaringType!;
        var nestor = IsNestorType(declaring);
        var description = property.GetCustomAttribute<DescriptionAttribute>()?.Text;
        if (nestor && description is null)
        {
            throw Missing(property);
        }

        var type = Nullable.GetUnderlyingType(property.PropertyType) ?? property.PropertyType;
        var docIndex = fields.Count;
        var schema = TypeSchema(type, path, document);
        ApplyAttributes(property, schema, instance, path);
        if (description is not null)
        {
            schema["description"] = description;
        }

        schema = Ordered(schema);
        if (document)
        {
            var kubernetesType = KubernetesTypeName(type);
            fields.Insert(docIndex, new FieldDoc(path, property.IsDefined(typeof(RequiredAttribute)), schema, description, kubernetesType, EnumValues(type)));
        }

        return schema;
    }

    private JsonObject TypeSchema(Type type, string path, bool document)
    {
        type = Nullable.GetUnderlyingType(type) ?? type;
        if (type == typeof(string))
        {
            return new JsonObject { ["type"] = "string" };
        }

        if (type == typeof(bool))
        {
            return new JsonObject { ["type"] = "boolean" };
        }

        if (type == typeof(int) || type == typeof(short))
        {
            return new JsonObject { ["type"] = "integer", ["format"] = "int32" };
        }

        if (type == typeof(long))
        {
            return new JsonObject { ["type"] = "integer", ["format"] = "int64" };
        }

        if (type == typeof(double) || type == typeof(float))
        {
            return new JsonObject { ["type"] = "number" };
        }

        if (type == typeof(DateTime) || type == typeof(DateTimeOffset))
        {
            return new JsonObject { ["type"] = "string", ["format"] = "date-time" };
        }

        if (type == typeof(byte[]))
        {
            return new JsonObject { ["type"] = "string", ["format"] = "byte" };
        }

        if (type.IsEnum)
        {
            return new JsonObject { ["type"] = "string", ["enum"] = new JsonArray([.. EnumValues(type)!.Select(v => (JsonNode)v.Value)]) };
        }

        if (type == typeof(ResourceQuantity))
        {
            var quantity = IntOrString();
            quantity["pattern"] = Patterns.Quantity;
            return quantity;
        }

        if (type == typeof(IntOrString))
        {
            return IntOrString();
        }

        if (DictionaryValueType(type) is { } valueType)
        {
            return new JsonObject { ["type"] = "object", ["additionalProperties"] = Ordered(TypeSchema(valueType, path + ".<key>", document)) };
        }

        if (ListItemType(type) is { } itemType)
        {
            return new JsonObject { ["type"] = "array", ["items"] = Ordered(TypeSchema(itemType, path + "[]", document)) };
        }

        if (type.IsClass && type != typeof(object))
        {
            return ObjectSchema(type, path, document);
        }

        throw new InvalidOperationException($"No schema mapping for {type.FullName} (at {path}).");
    }

    private static void ApplyAttributes(PropertyInfo property, JsonObject schema, object? instance, string path)
    {
        var where = $"{property.DeclaringType!.Name}.{property.Name}";
        if (property.IsDefined(typeof(DefaultAttribute)))
        {
            var value = instance is null ? null : property.GetValue(instance);
            schema["default"] = value is null
                ? throw new InvalidOperationException($"{where} has [Default] but its initial value is null.")
                : JsonNode.Parse(KubernetesJson.Serialize(value));
        }

        if (property.GetCustomAttribute<MinimumAttribute>() is { } minimum)
        {
            schema["minimum"] = Number(minimum.Value);
            if (minimum.Exclusive)
            {
                schema["exclusiveMinimum"] = true;
            }
        }

        if (property.GetCustomAttribute<MaximumAttribute>() is { } maximum)
        {
            schema["maximum"] = Number(maximum.Value);
            if (maximum.Exclusive)
            {
                schema["exclusiveMaximum"] = true;
            }
        }

        if (property.GetCustomAttribute<PatternAttribute>() is { } pattern)
        {
            RequireType(schema, "string", where, "[Pattern]");
            schema["pattern"] = pattern.Regex;
        }

        if (property.GetCustomAttribute<LengthAttribute>() is { } length)
        {
            RequireType(schema, "string", where, "[Length]");
            SetBounds(schema, "minLength", length.Min, "maxLength", length.Max);
        }

        if (property.GetCustomAttribute<FormatAttribute>() is { } format)
        {
            schema["format"] = format.Format;
        }

        if (property.GetCustomAttribute<ItemsAttribute>() is { } items)
        {
            var isList = schema["type"]?.GetValue<string>() == "array";
            if (!isList && schema["additionalProperties"] is null)
            {
                throw new InvalidOperationException($"{where}: [Items] applies to lists and maps only.");
            }

            SetBounds(schema, isList ? "minItems" : "minProperties", items.Min, isList ? "maxItems" : "maxProperties", items.Max);
        }

        if (property.GetCustomAttribute<ItemConstraintsAttribute>() is { } item)
        {
            var target = (schema["items"] ?? schema["additionalProperties"]) as JsonObject
                ?? throw new InvalidOperationException($"{where}: [ItemConstraints] applies to lists and maps only.");
            if (item.Pattern is not null)
            {
                target["pattern"] = item.Pattern;
            }

            SetBounds(target, "minLength", -1, "maxLength", item.MaxLength);
            if (!double.IsNaN(item.Minimum))
            {
                target["minimum"] = Number(item.Minimum);
            }

            if (!double.IsNaN(item.Maximum))
            {
                target["maximum"] = Number(item.Maximum);
            }

            Reorder(target);
        }

        if (property.GetCustomAttribute<ListMapAttribute>() is { } map)
        {
            var itemRequired = (schema["items"]?["required"] as JsonArray)?.Select(n => n!.GetValue<string>()).ToHashSet() ?? [];
            var missing = map.Keys.Where(k => !itemRequired.Contains(k)).ToList();
            if (missing.Count > 0)
            {
                throw new InvalidOperationException($"{where}: list-map key(s) {string.Join(", ", missing)} must be required fields of the items ({path}).");
            }

            schema["x-kubernetes-list-type"] = "map";
            schema["x-kubernetes-list-map-keys"] = new JsonArray([.. map.Keys.Select(k => (JsonNode)k)]);
        }

        if (property.IsDefined(typeof(ListSetAttribute)))
        {
            schema["x-kubernetes-list-type"] = "set";
        }

        if (property.IsDefined(typeof(PreserveUnknownFieldsAttribute)))
        {
            schema["x-kubernetes-preserve-unknown-fields"] = true;
        }

        if (property.GetCustomAttribute<ImmutableAttribute>() is { } immutable)
        {
            AddRule(schema, new JsonObject
            {
                ["rule"] = "self == oldSelf",
                ["message"] = immutable.Message ?? $"{JsonName(property)} is immutable",
            });
        }

        foreach (var rule in property.GetCustomAttributes<ValidationRuleAttribute>())
        {
            AddRule(schema, Rule(rule));
        }
    }

    private static JsonObject IntOrString() => new()
    {
        ["anyOf"] = new JsonArray(new JsonObject { ["type"] = "integer" }, new JsonObject { ["type"] = "string" }),
        ["x-kubernetes-int-or-string"] = true,
    };

    private static JsonObject Rule(ValidationRuleAttribute rule)
    {
        var node = new JsonObject { ["rule"] = rule.Rule, ["message"] = rule.Message };
        if (rule.FieldPath is not null)
        {
            node["fieldPath"] = rule.FieldPath;
        }

        if (rule.Reason is not null)
        {
            node["reason"] = rule.Reason;
        }

        return node;
    }

    private static void AddRule(JsonObject schema, JsonObject rule)
    {
        if (schema["x-kubernetes-validations"] is not JsonArray rules)
        {
            rules = [];
            schema["x-kubernetes-validations"] = rules;
        }

        rules.Add(rule);
    }

    private static void SetBounds(JsonObject schema, string minKey, int min, string maxKey, int max)
    {
        if (min >= 0)
        {
            schema[minKey] = min;
        }

        if (max >= 0)
        {
            schema[maxKey] = max;
        }
    }

    private static void RequireType(JsonObject schema, string type, string where, string attribute)
    {
        if (schema["type"]?.GetValue<string>() != type)
        {
            throw new InvalidOperationException($"{where}: {attribute} applies to {type} fields only.");
        }
    }

    private static JsonNode Number(double value) =>
        value == Math.Floor(value) && Math.Abs(value) < 1e15 ? JsonValue.Create((long)value) : JsonValue.Create(value);

    /// <summary>Public read-write properties in declaration order (metadata token order is source order).</summary>
    internal static IEnumerable<PropertyInfo> Properties(Type type) =>
        type.GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .Where(p => p.CanRead && p.CanWrite && p.GetIndexParameters().Length == 0 && !p.IsDefined(typeof(JsonIgnoreAttribute)))
            .OrderBy(p => p.MetadataToken);

    internal static string JsonName(PropertyInfo property) =>
        property.GetCustomAttribute<JsonPropertyNameAttribute>()?.Name
        ?? throw new InvalidOperationException($"{property.DeclaringType!.Name}.{property.Name} has no [JsonPropertyName].");

    internal static bool IsNestorType(Type type) => type.Namespace?.StartsWith("Nestor.Api", StringComparison.Ordinal) == true;

    private static string? Description(MemberInfo member) => member.GetCustomAttribute<DescriptionAttribute>()?.Text;

    private static InvalidOperationException Missing(MemberInfo member) =>
        new($"{(member as PropertyInfo)?.DeclaringType?.Name}{(member is PropertyInfo ? "." : "")}{member.Name} has no [Description]: every field of the Nestor API is documented.");

    private static IReadOnlyList<(string Value, string Description)>? EnumValues(Type type)
    {
        type = Nullable.GetUnderlyingType(type) ?? ListItemType(type) ?? type;
        if (!type.IsEnum)
        {
            return null;
        }

        return
        [
            .. type.GetFields(BindingFlags.Public | BindingFlags.Static)
                .OrderBy(f => f.MetadataToken)
                .Select(f => (f.GetCustomAttribute<JsonStringEnumMemberNameAttribute>()?.Name ?? f.Name,
                    Description(f) ?? throw Missing(f))),
        ];
    }

    private static string? KubernetesTypeName(Type type)
    {
        var element = ListItemType(type) ?? DictionaryValueType(type) ?? type;
        if (!KubernetesModelSchemas.IsKubernetesModel(element) || element == typeof(ResourceQuantity) || element == typeof(IntOrString))
        {
            return null;
        }

        var name = KubernetesModelSchemas.DisplayName(element);
        return ListItemType(type) is not null ? $"[]{name}" : name;
    }

    private static Type? ListItemType(Type type)
    {
        if (type == typeof(string) || type == typeof(byte[]) || DictionaryValueType(type) is not null)
        {
            return null;
        }

        if (type.IsArray)
        {
            return type.GetElementType();
        }

        var enumerable = type.IsGenericType && type.GetGenericTypeDefinition() == typeof(IEnumerable<>)
            ? type
            : type.GetInterfaces().FirstOrDefault(i => i.IsGenericType && i.GetGenericTypeDefinition() == typeof(IEnumerable<>));
        return enumerable is not null && typeof(IEnumerable).IsAssignableFrom(type) ? enumerable.GetGenericArguments()[0] : null;
    }

    private static Type? DictionaryValueType(Type type)
    {
        var dictionary = type.IsGenericType && type.GetGenericTypeDefinition() == typeof(IDictionary<,>)
            ? type
            : type.GetInterfaces().FirstOrDefault(i => i.IsGenericType && i.GetGenericTypeDefinition() == typeof(IDictionary<,>));
        if (dictionary is null)
        {
            return null;
        }

        var arguments = dictionary.GetGenericArguments();
        return arguments[0] == typeof(string)
            ? arguments[1]
            : throw new InvalidOperationException($"{type} has non-string keys: JSON objects have string keys.");
    }

    private static JsonObject Ordered(JsonObject schema)
    {
        Reorder(schema);
        return schema;
    }

    /// <summary>Puts a schema node's keywords in one fixed order, so the YAML is stable and reads top-down.</summary>
    private static void Reorder(JsonObject schema)
    {
        var entries = schema.ToList();
        schema.Clear();
        foreach (var (key, value) in entries.OrderBy(e => Rank(e.Key)).ThenBy(e => e.Key, StringComparer.Ordinal))
        {
            schema[key] = value;
        }

        static int Rank(string key)
        {
            var index = Array.IndexOf(KeyOrder, key);
            return index < 0 ? KeyOrder.Length : index;
        }
    }
}
