using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace Nestor.Checkpoint;

/// <summary>
/// JSON as Python's <c>json</c> module writes it. Hugging Face configs may hold the bare literals
/// <c>Infinity</c>, <c>-Infinity</c> and <c>NaN</c> (e.g. <c>"time_step_limit": [0.0, Infinity]</c>), which
/// strict JSON parsers reject. They are read as marker strings and written back as the bare literals, so a
/// config round-trips byte-for-byte in meaning.
/// </summary>
public static partial class PythonJson
{
    private const string Marker = "\u0001python:";
    private static readonly string[] Literals = ["-Infinity", "Infinity", "NaN"];
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true, IndentSize = 2 };

    /// <summary>Parses a JSON object; non-finite literals become marker strings that <see cref="AsDouble"/> reads.</summary>
    public static JsonObject ParseObject(string text, string filePath)
    {
        JsonNode? node;
        try
        {
            node = JsonNode.Parse(QuoteLiterals(text), documentOptions: new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Disallow });
        }
        catch (JsonException e)
        {
            throw new CheckpointFormatException(filePath, $"invalid JSON: {e.Message}", e);
        }

        return node as JsonObject ?? throw new CheckpointFormatException(filePath, "the top level must be a JSON object");
    }

    /// <summary>Writes indented JSON (2 spaces, as Hugging Face does) with the non-finite literals restored.</summary>
    public static string Serialize(JsonNode node)
    {
        var text = node.ToJsonString(Indented);
        return MarkerString().Replace(text, match => match.Groups[1].Value) + "\n";
    }

    /// <summary>Reads a number, including a non-finite literal; null when the node is not a number.</summary>
    public static double? AsDouble(JsonNode? node)
    {
        if (node is not JsonValue value)
        {
            return null;
        }

        if (value.GetValueKind() == JsonValueKind.Number)
        {
            // Values built in code wrap an int or long, which TryGetValue<double> does not convert.
            return double.Parse(value.ToJsonString(), System.Globalization.CultureInfo.InvariantCulture);
        }

        if (value.TryGetValue<string>(out var s) && s.StartsWith(Marker, StringComparison.Ordinal))
        {
            return s[Marker.Length..] switch
            {
                "Infinity" => double.PositiveInfinity,
                "-Infinity" => double.NegativeInfinity,
                "NaN" => double.NaN,
                var number => double.Parse(number, CultureInfo.InvariantCulture),
            };
        }

        return null;
    }

    /// <summary>
    /// A JSON node for a float, written as Python writes it: non-finite values as bare literals, integral values with a
    /// fraction (<c>0.0</c>, not <c>0</c>) so that strict readers (transformers' config validation) see a float.
    /// </summary>
    public static JsonNode FromDouble(double value) =>
        !double.IsFinite(value) ? JsonValue.Create(Marker + (double.IsNaN(value) ? "NaN" : value > 0 ? "Infinity" : "-Infinity"))
        : value == Math.Floor(value) && Math.Abs(value) < 1e15 ? JsonValue.Create(Marker + value.ToString("0.0", CultureInfo.InvariantCulture))
        : JsonValue.Create(value);

    // Replaces the bare literals outside strings with marker strings.
    private static string QuoteLiterals(string text)
    {
        if (!text.Contains("Infinity", StringComparison.Ordinal) && !text.Contains("NaN", StringComparison.Ordinal))
        {
            return text;
        }

        var result = new StringBuilder(text.Length + 32);
        bool inString = false;
        for (int i = 0; i < text.Length; i++)
        {
            char c = text[i];
            if (inString)
            {
                result.Append(c);
                if (c == '\\' && i + 1 < text.Length)
                {
                    result.Append(text[++i]);
                }
                else if (c == '"')
                {
                    inString = false;
                }

                continue;
            }

            if (c == '"')
            {
                inString = true;
                result.Append(c);
                continue;
            }

            var literal = Literals.FirstOrDefault(l => string.CompareOrdinal(text, i, l, 0, l.Length) == 0);
            if (literal is not null)
            {
                result.Append('"').Append("\\u0001python:").Append(literal).Append('"');
                i += literal.Length - 1;
                continue;
            }

            result.Append(c);
        }

        return result.ToString();
    }

    [GeneratedRegex("\"\\\\u0001python:([^\"]*)\"")]
    private static partial Regex MarkerString();
}
