using System.Text.Json;

namespace Nestor.Serving.Api;

/// <summary>Reads typed fields of a JSON request body; a wrong type or range is a 400 naming the field.</summary>
internal sealed class FieldReader(JsonElement root)
{
    public bool Has(string name) => root.TryGetProperty(name, out var v) && v.ValueKind != JsonValueKind.Null;

    public JsonElement? Get(string name) => root.TryGetProperty(name, out var v) && v.ValueKind != JsonValueKind.Null ? v : null;

    public string RequiredString(string name) =>
        Get(name) is { } v
            ? v.ValueKind == JsonValueKind.String ? v.GetString()! : throw ApiError.BadField(name, $"'{name}' must be a string.")
            : throw ApiError.BadField(name, $"'{name}' is required.");

    public string? OptionalString(string name) =>
        Get(name) is { } v
            ? v.ValueKind == JsonValueKind.String ? v.GetString() : throw ApiError.BadField(name, $"'{name}' must be a string.")
            : null;

    public bool OptionalBool(string name, bool fallback) =>
        Get(name) is { } v
            ? v.ValueKind is JsonValueKind.True or JsonValueKind.False ? v.GetBoolean() : throw ApiError.BadField(name, $"'{name}' must be a boolean.")
            : fallback;

    public double OptionalNumber(string name, double fallback, double min, double max)
    {
        if (Get(name) is not { } v)
        {
            return fallback;
        }

        if (v.ValueKind != JsonValueKind.Number || !v.TryGetDouble(out var x) || double.IsNaN(x) || x < min || x > max)
        {
            throw ApiError.BadField(name, $"'{name}' must be a number from {min} to {max}.");
        }

        return x;
    }

    public long? OptionalInteger(string name, long min, long max)
    {
        if (Get(name) is not { } v)
        {
            return null;
        }

        if (v.ValueKind != JsonValueKind.Number || !v.TryGetInt64(out var x) || x < min || x > max)
        {
            throw ApiError.BadField(name, $"'{name}' must be an integer from {min} to {max}.");
        }

        return x;
    }

    /// <summary>OpenAI's <c>stop</c>: a string or an array of up to 4 non-empty strings.</summary>
    public IReadOnlyList<string> Stop(string name)
    {
        if (Get(name) is not { } v)
        {
            return [];
        }

        if (v.ValueKind == JsonValueKind.String)
        {
            return v.GetString() is { Length: > 0 } s ? [s] : throw ApiError.BadField(name, $"'{name}' must not be empty.");
        }

        if (v.ValueKind != JsonValueKind.Array || v.GetArrayLength() > 4
            || v.EnumerateArray().Any(e => e.ValueKind != JsonValueKind.String || e.GetString()!.Length == 0))
        {
            throw ApiError.BadField(name, $"'{name}' must be a non-empty string or an array of up to 4 non-empty strings.");
        }

        return [.. v.EnumerateArray().Select(e => e.GetString()!)];
    }
}
