namespace Nestor.Serving.Api.ChatTemplates;

/// <summary>Arithmetic, concatenation and comparison with Python's semantics (<c>/</c> is true division, <c>//</c> floors).</summary>
internal static class JinjaOperators
{
    public static object? Binary(string op, object? a, object? b)
    {
        if (op == "~")
        {
            return Py.Str(a) + Py.Str(b);
        }

        if (a is Undefined ua)
        {
            throw ua.Error();
        }

        if (b is Undefined ub)
        {
            throw ub.Error();
        }

        if (Py.IsNumber(a) && Py.IsNumber(b))
        {
            return Arithmetic(op, a, b);
        }

        return (op, a, b) switch
        {
            ("+", string x, string y) => x + y,
            ("+", List<object?> x, List<object?> y) => x.Concat(y).ToList(),
            ("*", string x, long or bool) => Repeat(x, Py.ToLong(b)),
            ("*", long or bool, string y) => Repeat(y, Py.ToLong(a)),
            ("*", List<object?> x, long or bool) => Enumerable.Repeat(x, (int)Math.Max(0, Py.ToLong(b))).SelectMany(l => l).ToList(),
            _ => throw new TemplateRuntimeException($"unsupported operand type(s) for {op}: '{Py.TypeName(a)}' and '{Py.TypeName(b)}'"),
        };
    }

    private static object Arithmetic(string op, object? a, object? b)
    {
        bool floats = a is double || b is double;
        if (op == "/")
        {
            var d = Py.ToDouble(b);
            return d == 0 ? throw new TemplateRuntimeException("division by zero") : Py.ToDouble(a) / d;
        }

        if (floats)
        {
            double x = Py.ToDouble(a), y = Py.ToDouble(b);
            return op switch
            {
                "+" => x + y,
                "-" => x - y,
                "*" => x * y,
                "//" => y == 0 ? throw new TemplateRuntimeException("float floor division by zero") : Math.Floor(x / y),
                "%" => y == 0 ? throw new TemplateRuntimeException("float modulo") : x - (y * Math.Floor(x / y)),
                "**" => Math.Pow(x, y),
                _ => throw new TemplateRuntimeException($"unknown operator {op}"),
            };
        }

        long p = Py.ToLong(a), q = Py.ToLong(b);
        return op switch
        {
            "+" => (object)(p + q),
            "-" => p - q,
            "*" => p * q,
            "//" => q == 0 ? throw new TemplateRuntimeException("integer division or modulo by zero") : FloorDiv(p, q),
            "%" => q == 0 ? throw new TemplateRuntimeException("integer division or modulo by zero") : p - (q * FloorDiv(p, q)),
            "**" => q >= 0 ? (object)(long)Math.Pow(p, q) : Math.Pow(p, q),
            _ => throw new TemplateRuntimeException($"unknown operator {op}"),
        };
    }

    private static long FloorDiv(long p, long q)
    {
        long d = p / q;
        return (p % q != 0) && ((p < 0) != (q < 0)) ? d - 1 : d;
    }

    private static string Repeat(string s, long n) => n <= 0 ? "" : n * s.Length > 16 * 1024 * 1024
        ? throw new TemplateRuntimeException("string repetition too large")
        : string.Concat(Enumerable.Repeat(s, (int)n));

    public static object? Unary(string op, object? a) => a switch
    {
        Undefined u => throw u.Error(),
        double d => op == "-" ? -d : (object)d,
        long or bool => op == "-" ? -Py.ToLong(a) : (object)Py.ToLong(a),
        _ => throw new TemplateRuntimeException($"bad operand type for unary {op}: '{Py.TypeName(a)}'"),
    };

    public static bool Compare(string op, object? a, object? b) => op switch
    {
        "==" => Py.Eq(a, b),
        "!=" => !Py.Eq(a, b),
        "<" => Py.Compare(a, b) < 0,
        ">" => Py.Compare(a, b) > 0,
        "<=" => Py.Compare(a, b) <= 0,
        ">=" => Py.Compare(a, b) >= 0,
        "in" => Py.Contains(b, a),
        "not in" => !Py.Contains(b, a),
        _ => throw new TemplateRuntimeException($"unknown comparison {op}"),
    };
}
