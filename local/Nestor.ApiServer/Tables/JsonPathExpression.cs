using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Nestor.ApiServer.Tables;

/// <summary>
/// The JSONPath subset CRD printer columns use (client-go jsonpath): <c>.a.b</c>, <c>['a']</c>, <c>[0]</c>,
/// <c>[-1]</c>, <c>[*]</c>, <c>..a</c> and filters <c>[?(@.type=="Ready")]</c> with ==, !=, &lt;, &lt;=, &gt;, &gt;=
/// against string, number and boolean literals. Braces around the whole path are accepted.
/// </summary>
internal sealed class JsonPathExpression
{
    private abstract record Step;

    private sealed record FieldStep(string Name) : Step;

    private sealed record RecursiveStep(string Name) : Step;

    private sealed record IndexStep(int Index) : Step;

    private sealed record WildcardStep : Step;

    private sealed record FilterStep(string[] Path, string? Operator, JsonNode? Literal) : Step;

    private readonly List<Step> _steps;

    private JsonPathExpression(List<Step> steps) => _steps = steps;

    public static JsonPathExpression Parse(string path)
    {
        var text = path.Trim();
        if (text.StartsWith('{') && text.EndsWith('}'))
        {
            text = text[1..^1].Trim();
        }

        if (text.StartsWith('$'))
        {
            text = text[1..];
        }

        var steps = new List<Step>();
        var i = 0;
        while (i < text.Length)
        {
            if (text[i] == '.')
            {
                var recursive = i + 1 < text.Length && text[i + 1] == '.';
                i += recursive ? 2 : 1;
                var start = i;
                while (i < text.Length && text[i] is not ('.' or '['))
                {
                    i++;
                }

                var name = text[start..i];
                if (name.Length == 0)
                {
                    continue;
                }

                steps.Add(name == "*" ? new WildcardStep() : recursive ? new RecursiveStep(name) : new FieldStep(name));
            }
            else if (text[i] == '[')
            {
                var end = FindClose(text, i);
                var inner = text[(i + 1)..end].Trim();
                i = end + 1;
                if (inner == "*")
                {
                    steps.Add(new WildcardStep());
                }
                else if (inner.StartsWith("?(", StringComparison.Ordinal) && inner.EndsWith(')'))
                {
                    steps.Add(ParseFilter(inner[2..^1].Trim(), path));
                }
                else if (inner.Length > 1 && inner[0] is '\'' or '"')
                {
                    steps.Add(new FieldStep(inner[1..^1]));
                }
                else if (int.TryParse(inner, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var index))
                {
                    steps.Add(new IndexStep(index));
                }
                else
                {
                    throw new FormatException($"unsupported JSONPath segment [{inner}] in {path}");
                }
            }
            else
            {
                var start = i;
                while (i < text.Length && text[i] is not ('.' or '['))
                {
                    i++;
                }

                steps.Add(new FieldStep(text[start..i]));
            }
        }

        return new JsonPathExpression(steps);
    }

    private static int FindClose(string text, int open)
    {
        var depth = 0;
        char? quote = null;
        for (var i = open; i < text.Length; i++)
        {
            var c = text[i];
            if (quote is not null)
            {
                if (c == quote)
                {
                    quote = null;
                }

                continue;
            }

            if (c is '\'' or '"')
            {
                quote = c;
            }
            else if (c == '[')
            {
                depth++;
            }
            else if (c == ']' && --depth == 0)
            {
                return i;
            }
        }

        throw new FormatException($"unclosed [ in JSONPath {text}");
    }

    private static FilterStep ParseFilter(string filter, string path)
    {
        string[] operators = ["==", "!=", "<=", ">=", "<", ">"];
        foreach (var op in operators)
        {
            var at = filter.IndexOf(op, StringComparison.Ordinal);
            if (at < 0)
            {
                continue;
            }

            var left = filter[..at].Trim();
            var right = filter[(at + op.Length)..].Trim();
            return new FilterStep(FilterPath(left, path), op, Literal(right));
        }

        return new FilterStep(FilterPath(filter, path), null, null);
    }

    private static string[] FilterPath(string left, string path) =>
        left.StartsWith('@')
            ? left[1..].Split('.', StringSplitOptions.RemoveEmptyEntries)
            : throw new FormatException($"JSONPath filter must start with @ in {path}");

    private static JsonNode? Literal(string text)
    {
        if (text.Length >= 2 && text[0] is '\'' or '"')
        {
            return JsonValue.Create(text[1..^1]);
        }

        if (text is "true" or "false")
        {
            return JsonValue.Create(text == "true");
        }

        return double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) ? JsonValue.Create(d) : JsonValue.Create(text);
    }

    public IReadOnlyList<JsonNode?> Evaluate(JsonNode? root)
    {
        IEnumerable<JsonNode?> current = [root];
        foreach (var step in _steps)
        {
            current = current.SelectMany(node => Apply(step, node)).ToList();
        }

        return current.Where(n => n is not null).ToList();
    }

    private static IEnumerable<JsonNode?> Apply(Step step, JsonNode? node)
    {
        switch (step)
        {
            case FieldStep f:
                if (node is JsonObject obj && obj.TryGetPropertyValue(f.Name, out var child))
                {
                    yield return child;
                }

                break;
            case IndexStep ix:
                if (node is JsonArray arr)
                {
                    var index = ix.Index < 0 ? arr.Count + ix.Index : ix.Index;
                    if (index >= 0 && index < arr.Count)
                    {
                        yield return arr[index];
                    }
                }

                break;
            case WildcardStep:
                if (node is JsonArray all)
                {
                    foreach (var item in all)
                    {
                        yield return item;
                    }
                }
                else if (node is JsonObject o)
                {
                    foreach (var (_, value) in o)
                    {
                        yield return value;
                    }
                }

                break;
            case RecursiveStep r:
                foreach (var found in Descend(node, r.Name))
                {
                    yield return found;
                }

                break;
            case FilterStep filter:
                if (node is JsonArray items)
                {
                    foreach (var item in items.Where(item => Passes(filter, item)))
                    {
                        yield return item;
                    }
                }

                break;
        }
    }

    private static IEnumerable<JsonNode?> Descend(JsonNode? node, string name)
    {
        if (node is JsonObject obj)
        {
            foreach (var (key, value) in obj)
            {
                if (key == name)
                {
                    yield return value;
                }

                foreach (var found in Descend(value, name))
                {
                    yield return found;
                }
            }
        }
        else if (node is JsonArray arr)
        {
            foreach (var found in arr.SelectMany(item => Descend(item, name)))
            {
                yield return found;
            }
        }
    }

    private static bool Passes(FilterStep filter, JsonNode? item)
    {
        var value = Json.JsonPaths.Get(item, filter.Path);
        if (filter.Operator is null)
        {
            return value is not null;
        }

        if (value is not JsonValue v)
        {
            return false;
        }

        var literal = (JsonValue)filter.Literal!;
        int comparison;
        if (v.GetValueKind() == JsonValueKind.Number && literal.GetValueKind() == JsonValueKind.Number)
        {
            comparison = Json.JsonPaths.AsDouble(v).CompareTo(Json.JsonPaths.AsDouble(literal));
        }
        else
        {
            var left = v.GetValueKind() == JsonValueKind.String ? v.GetValue<string>() : v.ToJsonString();
            var right = literal.GetValueKind() == JsonValueKind.String ? literal.GetValue<string>() : literal.ToJsonString();
            comparison = string.CompareOrdinal(left, right);
        }

        return filter.Operator switch
        {
            "==" => comparison == 0,
            "!=" => comparison != 0,
            "<" => comparison < 0,
            "<=" => comparison <= 0,
            ">" => comparison > 0,
            _ => comparison >= 0,
        };
    }
}
