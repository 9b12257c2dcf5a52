using System.Globalization;
using System.Text;

namespace Nestor.Operator.Autoscaling;

/// <summary>One sample of the Prometheus text exposition format: a series name, its labels and its value.</summary>
public sealed record MetricSample(string Name, IReadOnlyDictionary<string, string> Labels, double Value)
{
    public string? Label(string name) => Labels.GetValueOrDefault(name);
}

/// <summary>
/// A parser of the Prometheus text exposition format (version 0.0.4): comments and HELP/TYPE lines are
/// skipped; label values may hold escaped backslashes, quotes and newlines; values may be NaN, +Inf,
/// -Inf; an optional timestamp follows the value. A malformed line is an error naming its number.
/// </summary>
public static class PrometheusText
{
    public static List<MetricSample> Parse(string text)
    {
        var samples = new List<MetricSample>();
        var lineNumber = 0;
        foreach (var raw in text.Split('\n'))
        {
            lineNumber++;
            var line = raw.TrimEnd('\r').Trim();
            if (line.Length == 0 || line[0] == '#')
            {
                continue;
            }

            samples.Add(ParseLine(line, lineNumber));
        }

        return samples;
    }

    private static MetricSample ParseLine(string line, int lineNumber)
    {
        var i = 0;
        while (i < line.Length && IsNameChar(line[i], i == 0))
        {
            i++;
        }

        if (i == 0)
        {
            throw Error(lineNumber, "expected a metric name");
        }

        var name = line[..i];
        var labels = new Dictionary<string, string>(StringComparer.Ordinal);
        if (i < line.Length && line[i] == '{')
        {
            i++;
            while (true)
            {
                SkipSpaces(line, ref i);
                if (i < line.Length && line[i] == '}')
                {
                    i++;
                    break;
                }

                var start = i;
                while (i < line.Length && IsNameChar(line[i], i == start))
                {
                    i++;
                }

                if (i == start)
                {
                    throw Error(lineNumber, "expected a label name");
                }

                var label = line[start..i];
                SkipSpaces(line, ref i);
                if (i >= line.Length || line[i] != '=')
                {
                    throw Error(lineNumber, $"expected '=' after label {label}");
                }

                i++;
                SkipSpaces(line, ref i);
                if (i >= line.Length || line[i] != '"')
                {
                    throw Error(lineNumber, $"expected a quoted value for label {label}");
                }

                i++;
                var value = new StringBuilder();
                while (true)
                {
                    if (i >= line.Length)
                    {
                        throw Error(lineNumber, $"unterminated value of label {label}");
                    }

                    var c = line[i++];
                    if (c == '"')
                    {
                        break;
                    }

                    if (c == '\\' && i < line.Length)
                    {
                        var escaped = line[i++];
                        value.Append(escaped switch { 'n' => '\n', _ => escaped });
                    }
                    else
                    {
                        value.Append(c);
                    }
                }

                labels[label] = value.ToString();
                SkipSpaces(line, ref i);
                if (i < line.Length && line[i] == ',')
                {
                    i++;
                }
                else if (i >= line.Length || line[i] != '}')
                {
                    throw Error(lineNumber, "expected ',' or '}' after a label");
                }
            }
        }

        var rest = line[i..].Trim().Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (rest.Length is 0 or > 2)
        {
            throw Error(lineNumber, "expected a value and an optional timestamp");
        }

        return new MetricSample(name, labels, ParseValue(rest[0], lineNumber));
    }

    private static double ParseValue(string text, int lineNumber) => text switch
    {
        "+Inf" or "Inf" => double.PositiveInfinity,
        "-Inf" => double.NegativeInfinity,
        "NaN" => double.NaN,
        _ => double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var v)
            ? v
            : throw Error(lineNumber, $"'{text}' is not a number"),
    };

    private static bool IsNameChar(char c, bool first) =>
        c is (>= 'a' and <= 'z') or (>= 'A' and <= 'Z') or '_' or ':' || (!first && c is >= '0' and <= '9');

    private static void SkipSpaces(string line, ref int i)
    {
        while (i < line.Length && line[i] is ' ' or '\t')
        {
            i++;
        }
    }

    private static FormatException Error(int line, string message) => new($"metrics line {line}: {message}");
}
