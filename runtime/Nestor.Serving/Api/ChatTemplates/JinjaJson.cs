using System.Globalization;
using System.Text;

namespace Nestor.Serving.Api.ChatTemplates;

/// <summary>
/// The <c>tojson</c> filter as transformers defines it: Python's <c>json.dumps(x, ensure_ascii=False, indent=...,
/// sort_keys=...)</c>, so separators are <c>", "</c> and <c>": "</c> (<c>","</c> at line ends when indented) and
/// non-ASCII characters stay as they are.
/// </summary>
internal static class JinjaJson
{
    public static string Dumps(object? value, int? indent, bool sortKeys)
    {
        var b = new StringBuilder();
        Write(b, value, indent, sortKeys, 0);
        return b.ToString();
    }

    private static void Write(StringBuilder b, object? value, int? indent, bool sortKeys, int depth)
    {
        switch (value)
        {
            case null:
                b.Append("null");
                break;
            case bool v:
                b.Append(v ? "true" : "false");
                break;
            case long v:
                b.Append(v.ToString(CultureInfo.InvariantCulture));
                break;
            case double v:
                b.Append(double.IsNaN(v) ? "NaN" : double.IsInfinity(v) ? (v > 0 ? "Infinity" : "-Infinity") : Py.Float(v));
                break;
            case string v:
                WriteString(b, v);
                break;
            case List<object?> list:
                WriteContainer(b, '[', ']', list.Select(x => ((string?)null, x)).ToList(), indent, sortKeys, depth);
                break;
            case OrderedDictionary<string, object?> dict:
                var pairs = dict.Select(p => ((string?)p.Key, p.Value));
                if (sortKeys)
                {
                    pairs = pairs.OrderBy(p => p.Item1, StringComparer.Ordinal);
                }

                WriteContainer(b, '{', '}', pairs.ToList(), indent, sortKeys, depth);
                break;
            case Namespace ns:
                Write(b, new OrderedDictionary<string, object?>(ns.Attributes), indent, sortKeys, depth);
                break;
            default:
                throw new TemplateRuntimeException($"Object of type {Py.TypeName(value)} is not JSON serializable");
        }
    }

    private static void WriteContainer(StringBuilder b, char open, char close, List<(string? Key, object? Value)> items, int? indent, bool sortKeys, int depth)
    {
        if (items.Count == 0)
        {
            b.Append(open).Append(close);
            return;
        }

        b.Append(open);
        for (int i = 0; i < items.Count; i++)
        {
            if (indent is { } n)
            {
                b.Append(i > 0 ? "," : "").Append('\n').Append(' ', n * (depth + 1));
            }
            else if (i > 0)
            {
                b.Append(", ");
            }

            if (items[i].Key is { } key)
            {
                WriteString(b, key);
                b.Append(": ");
            }

            Write(b, items[i].Value, indent, sortKeys, depth + 1);
        }

        if (indent is { } m)
        {
            b.Append('\n').Append(' ', m * depth);
        }

        b.Append(close);
    }

    private static void WriteString(StringBuilder b, string s)
    {
        b.Append('"');
        foreach (char c in s)
        {
            switch (c)
            {
                case '"': b.Append("\\\""); break;
                case '\\': b.Append("\\\\"); break;
                case '\n': b.Append("\\n"); break;
                case '\r': b.Append("\\r"); break;
                case '\t': b.Append("\\t"); break;
                case '\b': b.Append("\\b"); break;
                case '\f': b.Append("\\f"); break;
                default:
                    if (c < 0x20)
                    {
                        b.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
                    }
                    else
                    {
                        b.Append(c);
                    }

                    break;
            }
        }

        b.Append('"');
    }
}
