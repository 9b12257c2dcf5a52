using System.Globalization;
using System.Text;

namespace Nestor.Serving.Api.ChatTemplates;

/// <summary>
/// The functions a template may call: Jinja's <c>range</c>, <c>namespace</c>, <c>dict</c>, and transformers'
/// <c>raise_exception</c> and <c>strftime_now</c>.
/// </summary>
internal static class JinjaGlobals
{
    public static readonly HashSet<string> Functions = ["range", "namespace", "dict", "raise_exception", "strftime_now"];

    public static IEnumerable<KeyValuePair<string, object?>> Create(Func<DateTime> now)
    {
        yield return Function("range", Range);
        yield return Function("namespace", a =>
        {
            var ns = new Namespace();
            foreach (var map in a.Positional.OfType<OrderedDictionary<string, object?>>())
            {
                foreach (var (k, v) in map)
                {
                    ns.Attributes[k] = v;
                }
            }

            foreach (var (k, v) in a.Keywords)
            {
                ns.Attributes[k] = v;
            }

            return ns;
        });
        yield return Function("dict", a =>
        {
            var d = new OrderedDictionary<string, object?>(StringComparer.Ordinal);
            foreach (var (k, v) in a.Keywords)
            {
                d[k] = v;
            }

            return d;
        });
        yield return Function("raise_exception", a => throw new TemplateRaisedException(Py.Str(a.Positional.FirstOrDefault())));
        yield return Function("strftime_now", a => StrFTime(now(), a.Positional.FirstOrDefault() as string
            ?? throw new TemplateRuntimeException("strftime_now() takes a format string")));
    }

    private static KeyValuePair<string, object?> Function(string name, Func<(IReadOnlyList<object?> Positional, IReadOnlyDictionary<string, object?> Keywords), object?> body) =>
        new(name, new BuiltinFunction(name, (p, k) => body((p, k))));

    private static object? Range((IReadOnlyList<object?> Positional, IReadOnlyDictionary<string, object?> Keywords) a)
    {
        var n = a.Positional.Select(Py.ToLong).ToList();
        var (start, stop, step) = n.Count switch
        {
            1 => (0L, n[0], 1L),
            2 => (n[0], n[1], 1L),
            3 => (n[0], n[1], n[2]),
            _ => throw new TemplateRuntimeException("range() takes 1 to 3 integers"),
        };
        if (step == 0)
        {
            throw new TemplateRuntimeException("range() step must not be zero");
        }

        var list = new List<object?>();
        for (long i = start; step > 0 ? i < stop : i > stop; i += step)
        {
            if (list.Count >= 100_000)
            {
                throw new TemplateRuntimeException("range() too large");
            }

            list.Add(i);
        }

        return list;
    }

    /// <summary>Python's strftime for the directives templates use (dates in system prompts).</summary>
    public static string StrFTime(DateTime t, string format)
    {
        var c = CultureInfo.InvariantCulture;
        var b = new StringBuilder();
        for (int i = 0; i < format.Length; i++)
        {
            if (format[i] != '%' || i + 1 >= format.Length)
            {
                b.Append(format[i]);
                continue;
            }

            char d = format[++i];
            b.Append(d switch
            {
                'Y' => t.ToString("yyyy", c),
                'y' => t.ToString("yy", c),
                'm' => t.ToString("MM", c),
                'd' => t.ToString("dd", c),
                '-' when i + 1 < format.Length && format[i + 1] == 'd' => t.Day.ToString(c),
                'B' => t.ToString("MMMM", c),
                'b' => t.ToString("MMM", c),
                'A' => t.ToString("dddd", c),
                'a' => t.ToString("ddd", c),
                'H' => t.ToString("HH", c),
                'I' => t.ToString("hh", c),
                'M' => t.ToString("mm", c),
                'S' => t.ToString("ss", c),
                'p' => t.Hour < 12 ? "AM" : "PM",
                'j' => t.DayOfYear.ToString("000", c),
                '%' => "%",
                _ => throw new TemplateRuntimeException($"strftime_now(): unsupported directive %{d}"),
            });
            if (d == '-')
            {
                i++;
            }
        }

        return b.ToString();
    }
}
