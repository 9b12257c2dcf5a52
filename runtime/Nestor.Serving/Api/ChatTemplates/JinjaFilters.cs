using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace Nestor.Serving.Api.ChatTemplates;

/// <summary>The filters of <c>x | name(args)</c>, with Jinja's (and for <c>tojson</c>, transformers') behaviour.</summary>
internal static partial class JinjaFilters
{
    public static readonly HashSet<string> Names =
    [
        "trim", "length", "count", "upper", "lower", "capitalize", "title", "tojson", "default", "d", "join", "string", "int",
        "float", "list", "first", "last", "reverse", "replace", "items", "selectattr", "rejectattr", "select", "reject", "map",
        "safe", "abs", "round", "indent", "unique", "sort", "min", "max", "sum",
    ];

    public static object? Apply(string name, object? value, Arguments a)
    {
        switch (name)
        {
            case "trim":
                return a.Get(0, "chars") is string chars ? Py.Str(value).Trim(chars.ToCharArray()) : Py.Str(value).Trim();
            case "length" or "count":
                return Py.Length(value);
            case "upper":
                return Py.Str(value).ToUpperInvariant();
            case "lower":
                return Py.Str(value).ToLowerInvariant();
            case "capitalize":
                return Capitalize(Py.Str(value));
            case "title":
                return Title(Py.Str(value));
            case "string":
                return Py.Str(value);
            case "safe":
                return value;
            case "tojson":
                var indent = a.Get(0, "indent");
                return JinjaJson.Dumps(value, indent is null ? null : (int)Py.ToLong(indent), Py.Truthy(a.Get(-1, "sort_keys", false)));
            case "default" or "d":
                var fallback = a.Get(0, "default_value", "");
                return value is Undefined || (Py.Truthy(a.Get(1, "boolean", false)) && !Py.Truthy(value)) ? fallback : value;
            case "join":
                var attribute = a.Get(1, "attribute") as string;
                return string.Join(a.String(0, "d", ""), Py.Iterate(value).Select(x => Py.Str(attribute is null ? x : JinjaAccess.Item(x, attribute, attribute))));
            case "int":
                return ToInt(value, a.Get(0, "default", 0L));
            case "float":
                return ToFloat(value, a.Get(0, "default", 0.0));
            case "list":
                return Py.Iterate(value);
            case "first":
                return Py.Iterate(value) is { Count: > 0 } f ? f[0] : new Undefined("first item of an empty sequence");
            case "last":
                return Py.Iterate(value) is { Count: > 0 } l ? l[^1] : new Undefined("last item of an empty sequence");
            case "reverse":
                var items = Py.Iterate(value);
                items.Reverse();
                return value is string ? string.Concat(items.Cast<string>()) : items;
            case "replace":
                return Replace(Py.Str(value), a.String(0, "old", ""), a.String(1, "new", ""), a.Get(2, "count") is { } n ? Py.ToLong(n) : -1);
            case "items":
                return value switch
                {
                    Undefined => new List<object?>(),
                    OrderedDictionary<string, object?> d => d.Select(p => (object?)new PyTuple([p.Key, p.Value])).ToList(),
                    _ => throw new TemplateRuntimeException($"items(): expected a mapping, got {Py.TypeName(value)}"),
                };
            case "selectattr" or "rejectattr":
                var attr = a.String(0, "attribute", "");
                return Select(value, x => JinjaAccess.Attribute(x, attr, attr), a, 1, keep: name == "selectattr");
            case "select" or "reject":
                return Select(value, x => x, a, 0, keep: name == "select");
            case "map":
                return Map(value, a);
            case "abs":
                return value is double dv ? Math.Abs(dv) : (object)Math.Abs(Py.ToLong(value));
            case "round":
                var digits = (int)Py.ToLong(a.Get(0, "precision", 0L));
                var number = Py.ToDouble(value);
                var scale = Math.Pow(10, digits);
                // "common" is Python's round(): halves to even.
                return a.String(1, "method", "common") switch
                {
                    "common" => Math.Round(number, Math.Clamp(digits, 0, 15), MidpointRounding.ToEven),
                    "floor" => Math.Floor(number * scale) / scale,
                    "ceil" => Math.Ceiling(number * scale) / scale,
                    _ => throw new TemplateRuntimeException("round(): method must be common, floor or ceil"),
                };
            case "indent":
                return Indent(Py.Str(value), a);
            case "unique":
                var unique = new List<object?>();
                foreach (var item in Py.Iterate(value).Where(item => !unique.Any(u => Py.Eq(u, item))))
                {
                    unique.Add(item);
                }

                return unique;
            case "sort":
                var sorted = Py.Iterate(value);
                sorted.Sort(Py.Compare);
                if (Py.Truthy(a.Get(0, "reverse", false)))
                {
                    sorted.Reverse();
                }

                return sorted;
            case "min" or "max":
                var all = Py.Iterate(value);
                if (all.Count == 0)
                {
                    return new Undefined($"{name} of an empty sequence");
                }

                return all.Aggregate((p, q) => (Py.Compare(p, q) <= 0) == (name == "min") ? p : q);
            case "sum":
                object? total = a.Get(1, "start", 0L);
                foreach (var item in Py.Iterate(value))
                {
                    total = total is double || item is double ? Py.ToDouble(total) + Py.ToDouble(item) : (object)(Py.ToLong(total) + Py.ToLong(item));
                }

                return total;
            default:
                throw new TemplateRuntimeException($"unknown filter '{name}'");
        }
    }

    public static string Capitalize(string s) => s.Length == 0 ? s : char.ToUpperInvariant(s[0]) + s[1..].ToLowerInvariant();

    /// <summary>Jinja's title: each word (split at whitespace, '-', and opening brackets) capitalised.</summary>
    public static string Title(string s) =>
        string.Concat(WordBeginning().Split(s).Where(w => w.Length > 0).Select(w => char.ToUpperInvariant(w[0]) + w[1..].ToLowerInvariant()));

    public static string Replace(string s, string old, string replacement, long count)
    {
        if (count < 0)
        {
            return old.Length == 0 ? string.Concat(s.Select(c => replacement + c)) + replacement : s.Replace(old, replacement, StringComparison.Ordinal);
        }

        var b = new StringBuilder();
        int pos = 0;
        for (long n = 0; n < count && old.Length > 0; n++)
        {
            int i = s.IndexOf(old, pos, StringComparison.Ordinal);
            if (i < 0)
            {
                break;
            }

            b.Append(s, pos, i - pos).Append(replacement);
            pos = i + old.Length;
        }

        return b.Append(s, pos, s.Length - pos).ToString();
    }

    private static object? ToInt(object? value, object? fallback) => value switch
    {
        long or bool => Py.ToLong(value),
        double d => (long)Math.Truncate(d),
        string s when long.TryParse(s.Trim().Replace("_", "", StringComparison.Ordinal), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var l) => l,
        string s when double.TryParse(s.Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out var d) => (long)Math.Truncate(d),
        _ => fallback,
    };

    private static object? ToFloat(object? value, object? fallback) => value switch
    {
        long or bool or double => Py.ToDouble(value),
        string s when double.TryParse(s.Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out var d) => d,
        _ => fallback,
    };

    private static List<object?> Select(object? value, Func<object?, object?> subject, Arguments a, int testAt, bool keep)
    {
        var test = a.Get(testAt, "test") as string;
        if (test is not null && !JinjaPredicates.Names.Contains(test))
        {
            throw new TemplateRuntimeException($"unknown test '{test}'");
        }

        var args = a.From(testAt + 1);
        return Py.Iterate(value).Where(x =>
        {
            var s = subject(x);
            return (test is null ? Py.Truthy(s) : JinjaPredicates.Test(test, s, args)) == keep;
        }).ToList();
    }

    private static List<object?> Map(object? value, Arguments a)
    {
        if (a.Get(-1, "attribute") is string attribute)
        {
            var fallback = a.Get(-1, "default");
            return Py.Iterate(value).Select(x =>
            {
                var v = JinjaAccess.Item(x, attribute, attribute);
                return v is Undefined && a.Has(-1, "default") ? fallback : v;
            }).ToList();
        }

        var filter = a.String(0, "filter", "");
        if (!Names.Contains(filter) || filter == "map")
        {
            throw new TemplateRuntimeException($"map(): unknown filter '{filter}'");
        }

        var rest = new Arguments(filter, a.From(1), new Dictionary<string, object?>());
        return Py.Iterate(value).Select(x => Apply(filter, x, rest)).ToList();
    }

    private static string Indent(string s, Arguments a)
    {
        var width = a.Get(0, "width", 4L);
        var pad = width is string w ? w : new string(' ', (int)Py.ToLong(width));
        bool first = Py.Truthy(a.Get(1, "first", false)), blank = Py.Truthy(a.Get(2, "blank", false));
        var lines = s.Split('\n');
        var b = new StringBuilder();
        for (int i = 0; i < lines.Length; i++)
        {
            if (i > 0)
            {
                b.Append('\n');
            }

            bool indent = (i > 0 || first) && (blank || lines[i].Trim().Length > 0);
            b.Append(indent ? pad : "").Append(lines[i]);
        }

        return b.ToString();
    }

    [GeneratedRegex(@"([-\s\(\{\[\<]+)")]
    private static partial Regex WordBeginning();
}
