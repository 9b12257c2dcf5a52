using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Nestor.Charts.Tests.Support;

/// <summary>Writes a JSON tree as a Lua 5.1 table constructor, as Argo CD hands an object to a health script.</summary>
public static class LuaLiteral
{
    public static string From(JsonNode? node)
    {
        var builder = new StringBuilder();
        Write(node, builder);
        return builder.ToString();
    }

    private static void Write(JsonNode? node, StringBuilder builder)
    {
        switch (node)
        {
            case null:
                builder.Append("nil");
                break;
            case JsonObject obj:
                builder.Append('{');
                foreach (var (key, value) in obj)
                {
                    builder.Append('[');
                    WriteString(key, builder);
                    builder.Append("]=");
                    Write(value, builder);
                    builder.Append(',');
                }

                builder.Append('}');
                break;
            case JsonArray array:
                builder.Append('{');
                foreach (var item in array)
                {
                    Write(item, builder);
                    builder.Append(',');
                }

                builder.Append('}');
                break;
            case JsonValue value:
                switch (value.GetValueKind())
                {
                    case JsonValueKind.String:
                        WriteString(value.GetValue<string>(), builder);
                        break;
                    case JsonValueKind.Number:
                        // JSON number text is a Lua number literal (Argo CD's gopher-lua sees float64s too).
                        builder.Append(value.ToJsonString());
                        break;
                    case JsonValueKind.True:
                        builder.Append("true");
                        break;
                    case JsonValueKind.False:
                        builder.Append("false");
                        break;
                    default:
                        builder.Append("nil");
                        break;
                }

                break;
        }
    }

    private static void WriteString(string text, StringBuilder builder)
    {
        builder.Append('"');
        foreach (var c in text)
        {
            _ = c switch
            {
                '"' => builder.Append("\\\""),
                '\\' => builder.Append("\\\\"),
                '\n' => builder.Append("\\n"),
                '\r' => builder.Append("\\r"),
                < ' ' => builder.Append('\\').Append(((int)c).ToString("000", CultureInfo.InvariantCulture)),
                _ => builder.Append(c),
            };
        }

        builder.Append('"');
    }
}
