using System.Text.Json.Nodes;

namespace Nestor.Checkpoint;

/// <summary>Typed reads from a JSON object whose errors name the file and the field.</summary>
internal sealed class JsonFields(JsonObject json, string filePath, string prefix = "")
{
    public JsonObject Json => json;

    public string FilePath => filePath;

    public string Name(string field) => prefix + field;

    public CheckpointFormatException Error(string field, string message) =>
        new(filePath, $"field '{Name(field)}' {message}");

    public bool Has(string field) => json.TryGetPropertyValue(field, out var node) && node is not null;

    /// <summary>The first of the given spellings that is present, or null.</summary>
    public string? Present(params string[] spellings) => spellings.FirstOrDefault(Has);

    public int RequireInt(string field, params string[] aliases) =>
        OptionalInt(field, aliases) ?? throw Error(field, "is required");

    public int? OptionalInt(string field, params string[] aliases)
    {
        var name = Present([field, .. aliases]);
        if (name is null)
        {
            return null;
        }

        var value = PythonJson.AsDouble(json[name]);
        if (value is not { } d || d != Math.Floor(d) || d < int.MinValue || d > int.MaxValue)
        {
            throw Error(name, $"must be an integer, got {json[name]!.ToJsonString()}");
        }

        return (int)d;
    }

    public long RequireLong(string field)
    {
        var value = PythonJson.AsDouble(json[field]);
        if (!Has(field))
        {
            throw Error(field, "is required");
        }

        if (value is not { } d || d != Math.Floor(d) || Math.Abs(d) > 9e15)
        {
            throw Error(field, $"must be an integer, got {json[field]!.ToJsonString()}");
        }

        return (long)d;
    }

    public long? OptionalLong(string field) => Has(field) ? RequireLong(field) : null;

    public double? OptionalDouble(string field, params string[] aliases)
    {
        var name = Present([field, .. aliases]);
        if (name is null)
        {
            return null;
        }

        return PythonJson.AsDouble(json[name]) ?? throw Error(name, $"must be a number, got {json[name]!.ToJsonString()}");
    }

    public bool? OptionalBool(string field, params string[] aliases)
    {
        var name = Present([field, .. aliases]);
        if (name is null)
        {
            return null;
        }

        return json[name] is JsonValue v && v.TryGetValue<bool>(out var b)
            ? b
            : throw Error(name, $"must be true or false, got {json[name]!.ToJsonString()}");
    }

    public string RequireString(string field, params string[] aliases) =>
        OptionalString(field, aliases) ?? throw Error(field, "is required");

    public string? OptionalString(string field, params string[] aliases)
    {
        var name = Present([field, .. aliases]);
        if (name is null)
        {
            return null;
        }

        return json[name] is JsonValue v && v.TryGetValue<string>(out var s)
            ? s
            : throw Error(name, $"must be a string, got {json[name]!.ToJsonString()}");
    }

    public JsonArray? OptionalArray(string field)
    {
        if (!Has(field))
        {
            return null;
        }

        return json[field] as JsonArray ?? throw Error(field, $"must be an array, got {json[field]!.ToJsonString()}");
    }

    public IReadOnlyList<int> RequireIntArray(string field) => OptionalIntArray(field) ?? throw Error(field, "is required");

    public IReadOnlyList<int>? OptionalIntArray(string field)
    {
        var array = OptionalArray(field);
        if (array is null)
        {
            return null;
        }

        var result = new int[array.Count];
        for (int i = 0; i < array.Count; i++)
        {
            var d = PythonJson.AsDouble(array[i]);
            if (d is not { } v || v != Math.Floor(v) || v < int.MinValue || v > int.MaxValue)
            {
                throw Error(field, $"must be an array of integers; element {i} is {array[i]?.ToJsonString() ?? "null"}");
            }

            result[i] = (int)v;
        }

        return result;
    }
}
