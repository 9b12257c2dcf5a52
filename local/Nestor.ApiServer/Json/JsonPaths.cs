using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Nestor.ApiServer.Json;

/// <summary>Small helpers for reading and writing object fields in <see cref="JsonNode"/> trees.</summary>
internal static class JsonPaths
{
    /// <summary>Output like Go's encoder: no escaping of quotes, backticks or non-ASCII text.</summary>
    public static readonly JsonWriterOptions WriterOptions = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static readonly JsonSerializerOptions SerializerOptions = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static JsonNode? Get(JsonNode? node, params string[] path)
    {
        foreach (var part in path)
        {
            if (node is not JsonObject obj || !obj.TryGetPropertyValue(part, out node))
            {
                return null;
            }
        }

        return node;
    }

    public static string? GetString(JsonNode? node, params string[] path) =>
        Get(node, path) is JsonValue value && value.TryGetValue<string>(out var s) ? s : null;

    public static long? GetInt64(JsonNode? node, params string[] path)
    {
        if (Get(node, path) is not JsonValue value)
        {
            return null;
        }

        if (value.TryGetValue<long>(out var l))
        {
            return l;
        }

        if (value.TryGetValue<int>(out var i))
        {
            return i;
        }

        if (value.TryGetValue<double>(out var d) && Math.Floor(d) == d)
        {
            return (long)d;
        }

        return value.GetValueKind() == JsonValueKind.Number && long.TryParse(value.ToJsonString(), CultureInfo.InvariantCulture, out l) ? l : null;
    }

    /// <summary>A JSON number as double, whatever CLR type the node was created from.</summary>
    public static double AsDouble(JsonValue value)
    {
        if (value.TryGetValue<double>(out var d))
        {
            return d;
        }

        if (value.TryGetValue<long>(out var l))
        {
            return l;
        }

        if (value.TryGetValue<int>(out var i))
        {
            return i;
        }

        return value.TryGetValue<decimal>(out var m) ? (double)m : double.Parse(value.ToJsonString(), CultureInfo.InvariantCulture);
    }

    public static bool? GetBool(JsonNode? node, params string[] path) =>
        Get(node, path) is JsonValue value && value.GetValueKind() is JsonValueKind.True or JsonValueKind.False
            ? value.GetValueKind() == JsonValueKind.True
            : null;

    /// <summary>The object at <paramref name="path"/>, created (replacing a non-object) when missing.</summary>
    public static JsonObject Ensure(JsonObject root, params string[] path)
    {
        var current = root;
        foreach (var part in path)
        {
            if (current[part] is not JsonObject next)
            {
                next = [];
                current[part] = next;
            }

            current = next;
        }

        return current;
    }

    public static JsonObject Metadata(JsonObject obj) => Ensure(obj, "metadata");

    public static JsonObject? ObjectAt(JsonNode? node, params string[] path) => Get(node, path) as JsonObject;

    public static JsonArray? ArrayAt(JsonNode? node, params string[] path) => Get(node, path) as JsonArray;

    public static IReadOnlyDictionary<string, string> StringMap(JsonNode? node)
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        if (node is JsonObject obj)
        {
            foreach (var (key, value) in obj)
            {
                if (value is JsonValue v && v.TryGetValue<string>(out var s))
                {
                    result[key] = s;
                }
            }
        }

        return result;
    }

    public static IEnumerable<string> Strings(JsonNode? node) =>
        node is JsonArray array
            ? array.Select(item => item is JsonValue v && v.TryGetValue<string>(out var s) ? s : null).OfType<string>()
            : [];

    public static bool DeepEquals(JsonNode? a, JsonNode? b) => JsonNode.DeepEquals(a, b);

    /// <summary>A copy of <paramref name="obj"/> without the named top-level fields.</summary>
    public static JsonObject Without(JsonObject obj, params string[] fields)
    {
        var copy = new JsonObject();
        foreach (var (key, value) in obj)
        {
            if (!fields.Contains(key, StringComparer.Ordinal))
            {
                copy[key] = value?.DeepClone();
            }
        }

        return copy;
    }

    public static JsonNode? Clone(JsonNode? node) => node?.DeepClone();

    /// <summary>Forces every lazily parsed object and array in the tree to build its children, so reads never mutate.</summary>
    public static void Materialize(JsonNode? node)
    {
        switch (node)
        {
            case JsonObject obj:
                foreach (var (_, value) in obj)
                {
                    Materialize(value);
                }

                break;
            case JsonArray arr:
                foreach (var item in arr)
                {
                    Materialize(item);
                }

                break;
        }
    }

    /// <summary>Kubernetes time format: RFC 3339 with second precision, UTC.</summary>
    public static string Timestamp(DateTimeOffset time) => time.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    public static DateTimeOffset? ParseTimestamp(string? text) =>
        DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var t) ? t : null;

    /// <summary>Parses a request body into an object, or throws a 400 with the parser's message.</summary>
    public static JsonObject ParseObject(ReadOnlySpan<byte> body, string what)
    {
        JsonNode? node;
        try
        {
            node = JsonNode.Parse(body, documentOptions: new JsonDocumentOptions { MaxDepth = 128 });
        }
        catch (JsonException e)
        {
            throw Http.ApiException.BadRequest($"{what}: {e.Message}");
        }

        return node as JsonObject ?? throw Http.ApiException.BadRequest($"{what}: expected a JSON object");
    }

    public static string Describe(JsonNode? node) => node switch
    {
        null => "null",
        JsonObject => "object",
        JsonArray => "array",
        JsonValue v => v.GetValueKind() switch
        {
            JsonValueKind.String => "string",
            JsonValueKind.Number => "number",
            JsonValueKind.True or JsonValueKind.False => "boolean",
            _ => "null",
        },
        _ => "unknown",
    };
}
