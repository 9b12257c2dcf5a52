namespace Nestor.Serving.Api.ChatTemplates;

/// <summary>
/// Attribute and item access as Jinja does it: <c>x.name</c> tries a method (or loop/namespace attribute) first, then
/// the item; <c>x['name']</c> the item first. A missing attribute or item is undefined; access on undefined fails.
/// </summary>
internal static class JinjaAccess
{
    public static object? Attribute(object? target, string name, string description)
    {
        switch (target)
        {
            case Undefined u:
                throw u.Error();
            case LoopContext loop:
                return loop.Get(name);
            case Namespace ns:
                return ns.Attributes.TryGetValue(name, out var value) ? value : new Undefined(description);
            default:
                if (JinjaMethods.Has(target, name))
                {
                    return new BoundMethod(target, name);
                }

                return target is OrderedDictionary<string, object?> d && d.TryGetValue(name, out var item) ? item : new Undefined(description);
        }
    }

    public static object? Item(object? target, object? key, string description)
    {
        switch (target)
        {
            case Undefined u:
                throw u.Error();
            case OrderedDictionary<string, object?> d:
                if (key is string k)
                {
                    return d.TryGetValue(k, out var value) ? value : JinjaMethods.Has(d, k) ? new BoundMethod(d, k) : new Undefined(description);
                }

                return new Undefined(description);
            case List<object?> list when key is long or bool:
                long i = Py.ToLong(key);
                i = i < 0 ? i + list.Count : i;
                return i >= 0 && i < list.Count ? list[(int)i] : new Undefined(description);
            case string s when key is long or bool:
                var chars = Py.CodePoints(s);
                long j = Py.ToLong(key);
                j = j < 0 ? j + chars.Count : j;
                return j >= 0 && j < chars.Count ? chars[(int)j] : new Undefined(description);
            default:
                return key is string name ? Attribute(target, name, description) : new Undefined(description);
        }
    }

    /// <summary>Python's slice <c>x[start:stop:step]</c> of a list or string.</summary>
    public static object? Slice(object? target, object? start, object? stop, object? step)
    {
        if (target is Undefined u)
        {
            throw u.Error();
        }

        List<object?> items = target switch
        {
            List<object?> l => l,
            string s => [.. Py.CodePoints(s)],
            _ => throw new TemplateRuntimeException($"'{Py.TypeName(target)}' object is not subscriptable"),
        };
        long n = items.Count;
        long st = step is null ? 1 : Py.ToLong(step);
        if (st == 0)
        {
            throw new TemplateRuntimeException("slice step cannot be zero");
        }

        long Clamp(object? v, long fallback)
        {
            if (v is null)
            {
                return fallback;
            }

            long x = Py.ToLong(v);
            if (x < 0)
            {
                x += n;
            }

            return st > 0 ? Math.Clamp(x, 0, n) : Math.Clamp(x, -1, n - 1);
        }

        long a = Clamp(start, st > 0 ? 0 : n - 1), b = Clamp(stop, st > 0 ? n : -1);
        var result = new List<object?>();
        for (long i = a; st > 0 ? i < b : i > b; i += st)
        {
            result.Add(items[(int)i]);
        }

        return target is string ? string.Concat(result.Cast<string>()) : result;
    }
}
