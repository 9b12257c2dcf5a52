namespace Nestor.Serving.Api.ChatTemplates;

/// <summary>The Python methods templates call on strings and dicts (<c>content.strip()</c>, <c>tool.items()</c>).</summary>
internal static class JinjaMethods
{
    public static readonly HashSet<string> StringMethods =
        ["strip", "lstrip", "rstrip", "startswith", "endswith", "split", "upper", "lower", "replace", "title", "capitalize", "join", "find", "count"];

    public static readonly HashSet<string> DictMethods = ["items", "keys", "values", "get"];

    public static readonly HashSet<string> Names = [.. StringMethods, .. DictMethods];

    public static bool Has(object? target, string name) => target switch
    {
        string => StringMethods.Contains(name),
        OrderedDictionary<string, object?> => DictMethods.Contains(name),
        _ => false,
    };

    public static object? Call(BoundMethod method, Arguments a) => method.Target switch
    {
        string s => CallString(s, method.Name, a),
        OrderedDictionary<string, object?> d => CallDict(d, method.Name, a),
        _ => throw new TemplateRuntimeException($"'{Py.TypeName(method.Target)}' object has no method '{method.Name}'"),
    };

    private static object? CallString(string s, string name, Arguments a)
    {
        string? Chars() => a.Get(0, "chars") is string c ? c : null;
        switch (name)
        {
            case "strip": return Chars() is { } c ? s.Trim(c.ToCharArray()) : s.Trim();
            case "lstrip": return Chars() is { } l ? s.TrimStart(l.ToCharArray()) : s.TrimStart();
            case "rstrip": return Chars() is { } r ? s.TrimEnd(r.ToCharArray()) : s.TrimEnd();
            case "startswith": return Prefixes(a.Get(0, "prefix")).Any(p => s.StartsWith(p, StringComparison.Ordinal));
            case "endswith": return Prefixes(a.Get(0, "suffix")).Any(p => s.EndsWith(p, StringComparison.Ordinal));
            case "upper": return s.ToUpperInvariant();
            case "lower": return s.ToLowerInvariant();
            case "title": return JinjaFilters.Title(s);
            case "capitalize": return JinjaFilters.Capitalize(s);
            case "find": return (long)s.IndexOf(a.String(0, "sub", ""), StringComparison.Ordinal);
            case "count": return (long)CountOf(s, a.String(0, "sub", ""));
            case "replace":
                return JinjaFilters.Replace(s, a.String(0, "old", ""), a.String(1, "new", ""), a.Get(2, "count") is { } n ? Py.ToLong(n) : -1);
            case "join":
                return string.Join(s, Py.Iterate(a.Get(0, "iterable")).Select(x => x as string
                    ?? throw new TemplateRuntimeException($"join(): expected str items, got {Py.TypeName(x)}")));
            default:
                return Split(s, a.Get(0, "sep") as string, a.Get(1, "maxsplit") is { } m ? Py.ToLong(m) : -1);
        }
    }

    private static object? CallDict(OrderedDictionary<string, object?> d, string name, Arguments a) => name switch
    {
        "items" => d.Select(p => (object?)new PyTuple([p.Key, p.Value])).ToList(),
        "keys" => d.Keys.Select(k => (object?)k).ToList(),
        "values" => d.Values.ToList(),
        _ => a.Get(0, "key") is string k && d.TryGetValue(k, out var v) ? v : a.Get(1, "default"),
    };

    private static IEnumerable<string> Prefixes(object? value) => value switch
    {
        string s => [s],
        List<object?> l => l.Select(Py.Str),
        _ => throw new TemplateRuntimeException($"startswith/endswith take a string or a tuple of strings, got {Py.TypeName(value)}"),
    };

    private static int CountOf(string s, string sub)
    {
        if (sub.Length == 0)
        {
            return s.Length + 1;
        }

        int n = 0;
        for (int i = s.IndexOf(sub, StringComparison.Ordinal); i >= 0; i = s.IndexOf(sub, i + sub.Length, StringComparison.Ordinal))
        {
            n++;
        }

        return n;
    }

    /// <summary>Python's str.split: on runs of whitespace without a separator, else on the separator exactly.</summary>
    private static List<object?> Split(string s, string? sep, long maxSplit)
    {
        if (sep is null)
        {
            var parts = s.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
            if (maxSplit >= 0 && parts.Length > maxSplit + 1)
            {
                var head = s.TrimStart().Split((char[]?)null, (int)maxSplit + 1, StringSplitOptions.RemoveEmptyEntries);
                return [.. head.Select((p, i) => (object?)(i == head.Length - 1 ? p.TrimStart() : p))];
            }

            return [.. parts];
        }

        if (sep.Length == 0)
        {
            throw new TemplateRuntimeException("split(): empty separator");
        }

        return [.. (maxSplit >= 0 ? s.Split(sep, (int)maxSplit + 1) : s.Split(sep))];
    }
}
