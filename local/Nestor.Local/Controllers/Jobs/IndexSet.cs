using System.Globalization;
using System.Text;

namespace Nestor.Local.Controllers.Jobs;

/// <summary>Completion indexes in kube's compressed form: "0,2-4,7".</summary>
public static class IndexSet
{
    public static SortedSet<int> Parse(string? text)
    {
        var set = new SortedSet<int>();
        foreach (var part in (text ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var dash = part.IndexOf('-', StringComparison.Ordinal);
            if (dash < 0)
            {
                if (int.TryParse(part, NumberStyles.None, CultureInfo.InvariantCulture, out var single))
                {
                    set.Add(single);
                }

                continue;
            }

            if (int.TryParse(part[..dash], NumberStyles.None, CultureInfo.InvariantCulture, out var first)
                && int.TryParse(part[(dash + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out var last))
            {
                for (var i = first; i <= last; i++)
                {
                    set.Add(i);
                }
            }
        }

        return set;
    }

    public static string Format(IEnumerable<int> indexes)
    {
        var builder = new StringBuilder();
        int? start = null;
        int? previous = null;
        foreach (var i in indexes.Distinct().Order())
        {
            if (previous is { } p && i == p + 1)
            {
                previous = i;
                continue;
            }

            Flush();
            start = i;
            previous = i;
        }

        Flush();
        return builder.ToString();

        void Flush()
        {
            if (start is not { } s || previous is not { } e)
            {
                return;
            }

            if (builder.Length > 0)
            {
                builder.Append(',');
            }

            builder.Append(CultureInfo.InvariantCulture, $"{s}");
            if (e > s)
            {
                builder.Append(CultureInfo.InvariantCulture, $"-{e}");
            }
        }
    }
}
