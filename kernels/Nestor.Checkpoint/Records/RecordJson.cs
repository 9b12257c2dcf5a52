using System.Text.Json;
using System.Text.Json.Serialization;

namespace Nestor.Checkpoint;

/// <summary>Shared JSON handling of the Nestor record files (snake_case, schema-versioned, replaced atomically).</summary>
internal static class RecordJson
{
    public static readonly JsonSerializerOptions Options = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DictionaryKeyPolicy = null,
        WriteIndented = true,
        IndentSize = 2,
        Converters = { new JsonStringEnumConverter() },
        RespectNullableAnnotations = true,
        RespectRequiredConstructorParameters = true,
    };

    public static T Parse<T>(string json, string source, Func<T, int> schemaVersion, int expectedVersion)
    {
        T? value;
        try
        {
            value = JsonSerializer.Deserialize<T>(json, Options);
        }
        catch (JsonException e)
        {
            var where = e.Path is null ? "" : $" at {e.Path}";
            throw new CheckpointFormatException(source, $"invalid{where}: {e.Message}", e);
        }

        if (value is null)
        {
            throw new CheckpointFormatException(source, "must be a JSON object, not null");
        }

        var version = schemaVersion(value);
        return version == expectedVersion ? value
            : throw new CheckpointFormatException(source, $"field 'schema_version' is {version}; this version of Nestor reads schema_version {expectedVersion}");
    }

    public static T Load<T>(string path, Func<T, int> schemaVersion, int expectedVersion)
    {
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (FileNotFoundException e)
        {
            throw new CheckpointFormatException(path, "file not found", e);
        }

        return Parse(text, path, schemaVersion, expectedVersion);
    }

    public static string Serialize<T>(T value) => JsonSerializer.Serialize(value, Options) + "\n";
}
