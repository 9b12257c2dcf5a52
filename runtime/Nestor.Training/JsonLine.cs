using System.Text.Json;

namespace Nestor.Training;

/// <summary>One JSON object per line: the trainer's machine-readable log on stdout.</summary>
public static class JsonLine
{
    public static string Of(params (string Key, object? Value)[] fields)
    {
        var map = new Dictionary<string, object?>(StringComparer.Ordinal);
        foreach (var (key, value) in fields)
        {
            map[key] = value is double d && (double.IsNaN(d) || double.IsInfinity(d)) ? null : value;
        }

        return JsonSerializer.Serialize(map);
    }
}
