using System.Globalization;
using System.Text;

namespace Nestor.Serving.Api.ChatTemplates;

/// <summary>
/// Jinja's default undefined value: renders as nothing, is false, iterates as empty, has length 0; using it as an
/// object (an attribute, an item, arithmetic, a call) is an error naming what was undefined.
/// </summary>
internal sealed class Undefined(string description)
{
    public string Description { get; } = description;

    public TemplateRuntimeException Error() => new($"{Description} is undefined");
}

/// <summary>The object <c>namespace(...)</c> returns: attributes that <c>{% set ns.x = ... %}</c> may change from any scope.</summary>
internal sealed class Namespace
{
    public OrderedDictionary<string, object?> Attributes { get; } = new(StringComparer.Ordinal);
}

/// <summary>The <c>loop</c> variable of a for loop.</summary>
internal sealed class LoopContext(List<object?> items)
{
    public int Index0 { get; set; }

    public object? Get(string name) => name switch
    {
        "index0" => (long)Index0,
        "index" => (long)Index0 + 1,
        "revindex0" => (long)(items.Count - Index0 - 1),
        "revindex" => (long)(items.Count - Index0),
        "first" => Index0 == 0,
        "last" => Index0 == items.Count - 1,
        "length" => (long)items.Count,
        "previtem" => Index0 > 0 ? items[Index0 - 1] : new Undefined("loop.previtem"),
        "nextitem" => Index0 + 1 < items.Count ? items[Index0 + 1] : new Undefined("loop.nextitem"),
        "depth" => 1L,
        "depth0" => 0L,
        _ => new Undefined($"loop.{name}"),
    };
}

/// <summary>A Python tuple (<c>(a, b)</c>, the pairs of <c>items()</c>): a list that prints with parentheses.</summary>
internal sealed class PyTuple(IEnumerable<object?> items) : List<object?>(items);

/// <summary>A <c>{% macro %}</c> with the scope it was defined in.</summary>
internal sealed record Macro(MacroStmt Definition, Scope Closure);

/// <summary>A method of a string, list or dict looked up as an attribute, called next (<c>s.strip()</c>, <c>d.items()</c>).</summary>
internal sealed record BoundMethod(object? Target, string Name);

/// <summary>A global function such as <c>raise_exception</c> or <c>namespace</c>.</summary>
internal sealed record BuiltinFunction(string Name, Func<IReadOnlyList<object?>, IReadOnlyDictionary<string, object?>, object?> Invoke);

/// <summary>Python's view of values, which is what templates were written against: str(), repr(), truth, equality.</summary>
internal static class Py
{
    public static bool IsNumber(object? v) => v is long or double or bool;

    public static bool IsUndefined(object? v) => v is Undefined;

    public static string TypeName(object? v) => v switch
    {
        null => "NoneType",
        Undefined => "Undefined",
        bool => "bool",
        long => "int",
        double => "float",
        string => "str",
        PyTuple => "tuple",
        List<object?> => "list",
        OrderedDictionary<string, object?> => "dict",
        Namespace => "Namespace",
        LoopContext => "LoopContext",
        Macro or BuiltinFunction or BoundMethod => "function",
        _ => v.GetType().Name,
    };

    public static bool Truthy(object? v) => v switch
    {
        null or Undefined => false,
        bool b => b,
        long l => l != 0,
        double d => d != 0,
        string s => s.Length > 0,
        List<object?> l => l.Count > 0,
        OrderedDictionary<string, object?> d => d.Count > 0,
        _ => true,
    };

    public static string Str(object? v) => v switch
    {
        string s => s,
        Undefined => "",
        _ => Repr(v),
    };

    public static string Repr(object? v) => v switch
    {
        null => "None",
        Undefined => "",
        bool b => b ? "True" : "False",
        long l => l.ToString(CultureInfo.InvariantCulture),
        double d => Float(d),
        string s => ReprString(s),
        PyTuple t => "(" + string.Join(", ", t.Select(Repr)) + (t.Count == 1 ? ",)" : ")"),
        List<object?> l => "[" + string.Join(", ", l.Select(Repr)) + "]",
        OrderedDictionary<string, object?> d => "{" + string.Join(", ", d.Select(p => ReprString(p.Key) + ": " + Repr(p.Value))) + "}",
        Namespace n => "<Namespace " + string.Join(", ", n.Attributes.Select(p => p.Key + "=" + Repr(p.Value))) + ">",
        _ => $"<{TypeName(v)}>",
    };

    /// <summary>Python's repr of a float: the shortest round-trip digits, fixed for exponents -4 to 15, else scientific.</summary>
    public static string Float(double d)
    {
        if (double.IsNaN(d))
        {
            return "nan";
        }

        if (double.IsInfinity(d))
        {
            return d > 0 ? "inf" : "-inf";
        }

        var sign = double.IsNegative(d) ? "-" : "";
        if (d == 0)
        {
            return sign + "0.0";
        }

        var r = Math.Abs(d).ToString("R", CultureInfo.InvariantCulture);
        int e = r.IndexOfAny(['E', 'e']);
        int exponent = e >= 0 ? int.Parse(r[(e + 1)..], CultureInfo.InvariantCulture) : 0;
        var mantissa = e >= 0 ? r[..e] : r;
        int dot = mantissa.IndexOf('.');
        var whole = dot < 0 ? mantissa : mantissa[..dot];
        var all = whole + (dot < 0 ? "" : mantissa[(dot + 1)..]);
        var digits = all.TrimStart('0');
        int x = whole.Length + exponent - (all.Length - digits.Length) - 1;
        digits = digits.TrimEnd('0');
        if (x is >= -4 and < 16)
        {
            if (x < 0)
            {
                return sign + "0." + new string('0', -x - 1) + digits;
            }

            var integer = digits.Length > x + 1 ? digits[..(x + 1)] : digits.PadRight(x + 1, '0');
            var fraction = digits.Length > x + 1 ? digits[(x + 1)..] : "0";
            return sign + integer + "." + fraction;
        }

        return sign + digits[0] + (digits.Length > 1 ? "." + digits[1..] : "") + "e" + (x < 0 ? "-" : "+")
            + Math.Abs(x).ToString("00", CultureInfo.InvariantCulture);
    }

    private static string ReprString(string s)
    {
        char quote = s.Contains('\'') && !s.Contains('"') ? '"' : '\'';
        var b = new StringBuilder().Append(quote);
        foreach (char c in s)
        {
            switch (c)
            {
                case '\\': b.Append("\\\\"); break;
                case '\n': b.Append("\\n"); break;
                case '\r': b.Append("\\r"); break;
                case '\t': b.Append("\\t"); break;
                default:
                    if (c == quote)
                    {
                        b.Append('\\').Append(c);
                    }
                    else if (c < 0x20 || c == 0x7f)
                    {
                        b.Append("\\x").Append(((int)c).ToString("x2", CultureInfo.InvariantCulture));
                    }
                    else
                    {
                        b.Append(c);
                    }

                    break;
            }
        }

        return b.Append(quote).ToString();
    }

    public static bool Eq(object? a, object? b)
    {
        if (a is Undefined || b is Undefined)
        {
            return a is Undefined && b is Undefined;
        }

        if (IsNumber(a) && IsNumber(b))
        {
            return a is double || b is double ? ToDouble(a) == ToDouble(b) : ToLong(a) == ToLong(b);
        }

        return (a, b) switch
        {
            (null, null) => true,
            (string x, string y) => x == y,
            (List<object?> x, List<object?> y) => (x is PyTuple) == (y is PyTuple) && x.Count == y.Count && x.Zip(y).All(p => Eq(p.First, p.Second)),
            (OrderedDictionary<string, object?> x, OrderedDictionary<string, object?> y) =>
                x.Count == y.Count && x.All(p => y.TryGetValue(p.Key, out var v) && Eq(p.Value, v)),
            _ => ReferenceEquals(a, b),
        };
    }

    public static long ToLong(object? v) => v switch
    {
        bool b => b ? 1 : 0,
        long l => l,
        double d => (long)d,
        _ => throw new TemplateRuntimeException($"expected a number, got {TypeName(v)}"),
    };

    public static double ToDouble(object? v) => v switch
    {
        bool b => b ? 1 : 0,
        long l => l,
        double d => d,
        _ => throw new TemplateRuntimeException($"expected a number, got {TypeName(v)}"),
    };

    /// <summary>Python's len(): code points for strings.</summary>
    public static long Length(object? v) => v switch
    {
        Undefined => 0,
        string s => s.EnumerateRunes().Count(),
        List<object?> l => l.Count,
        OrderedDictionary<string, object?> d => d.Count,
        Namespace n => n.Attributes.Count,
        _ => throw new TemplateRuntimeException($"object of type '{TypeName(v)}' has no len()"),
    };

    /// <summary>What a for loop iterates: list items, dict keys, the characters of a string; nothing for undefined.</summary>
    public static List<object?> Iterate(object? v) => v switch
    {
        Undefined => [],
        List<object?> l => [.. l],
        OrderedDictionary<string, object?> d => [.. d.Keys],
        string s => [.. s.EnumerateRunes().Select(r => (object?)r.ToString())],
        _ => throw new TemplateRuntimeException($"'{TypeName(v)}' object is not iterable"),
    };

    /// <summary>A string's code points, so that indexes, slices and lengths count as Python's do.</summary>
    public static List<string> CodePoints(string s) => [.. s.EnumerateRunes().Select(r => r.ToString())];

    /// <summary>Python's ordering for numbers and strings (and lists, element by element).</summary>
    public static int Compare(object? a, object? b)
    {
        if (IsNumber(a) && IsNumber(b))
        {
            return ToDouble(a).CompareTo(ToDouble(b));
        }

        if (a is string x && b is string y)
        {
            return string.CompareOrdinal(x, y) switch { < 0 => -1, > 0 => 1, _ => 0 };
        }

        if (a is List<object?> la && b is List<object?> lb)
        {
            foreach (var (p, q) in la.Zip(lb))
            {
                int c = Eq(p, q) ? 0 : Compare(p, q);
                if (c != 0)
                {
                    return c;
                }
            }

            return la.Count.CompareTo(lb.Count);
        }

        if (a is Undefined u)
        {
            throw u.Error();
        }

        if (b is Undefined v)
        {
            throw v.Error();
        }

        throw new TemplateRuntimeException($"'<' not supported between instances of '{TypeName(a)}' and '{TypeName(b)}'");
    }

    public static bool Contains(object? container, object? item) => container switch
    {
        Undefined => false,
        string s when item is string sub => s.Contains(sub, StringComparison.Ordinal),
        string => throw new TemplateRuntimeException($"'in <string>' requires string as left operand, not {TypeName(item)}"),
        List<object?> l => l.Any(x => Eq(x, item)),
        OrderedDictionary<string, object?> d => item is string k && d.ContainsKey(k),
        Namespace n => item is string k && n.Attributes.ContainsKey(k),
        _ => throw new TemplateRuntimeException($"argument of type '{TypeName(container)}' is not iterable"),
    };
}
