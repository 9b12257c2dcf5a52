using System.Text;

namespace Nestor.Local.Node.Volumes;

/// <summary>One path a container sees (a volumeMount's mountPath, its terminationMessagePath) and the local path behind it.</summary>
public sealed record PathMapping(string ContainerPath, string HostPath, bool ReadOnly);

/// <summary>
/// Pods run without their own filesystem view, so the paths a container is told about are rewritten
/// to the local directories behind them: in command, args, env values, workingDir and exec probes,
/// every occurrence of a mount path that starts a path (at the start of the string or after a
/// character that cannot be part of a path, such as a space, '=', ':', ',' or a quote) and ends one
/// (at the end, before '/', or before such a character) is replaced by its local directory, the
/// longest mount path first. "/weights/a.bin" and "--model=/weights" are rewritten; "/weights2" and
/// "x/weights" are not. File contents are never rewritten.
/// </summary>
public sealed class PathTranslator
{
    private readonly List<PathMapping> _mappings;

    public PathTranslator(IEnumerable<PathMapping> mappings)
    {
        _mappings = mappings
            .Select(m => m with { ContainerPath = Normalize(m.ContainerPath) })
            .Where(m => m.ContainerPath.Length > 1 && m.ContainerPath.StartsWith('/'))
            .GroupBy(m => m.ContainerPath, StringComparer.Ordinal).Select(g => g.Last())
            .OrderByDescending(m => m.ContainerPath.Length)
            .ToList();
    }

    public IReadOnlyList<PathMapping> Mappings => _mappings;

    public string Translate(string text)
    {
        if (_mappings.Count == 0 || !text.Contains('/', StringComparison.Ordinal))
        {
            return text;
        }

        var output = new StringBuilder(text.Length);
        var i = 0;
        while (i < text.Length)
        {
            if (i == 0 || !IsPathChar(text[i - 1]))
            {
                var match = _mappings.FirstOrDefault(m => Matches(text, i, m.ContainerPath));
                if (match is not null)
                {
                    output.Append(match.HostPath);
                    i += match.ContainerPath.Length;
                    continue;
                }
            }

            output.Append(text[i]);
            i++;
        }

        return output.ToString();
    }

    /// <summary>The local path for a path a container uses, or null when no mount covers it.</summary>
    public string? ToHost(string containerPath)
    {
        var path = Normalize(containerPath);
        foreach (var m in _mappings)
        {
            if (path == m.ContainerPath)
            {
                return m.HostPath;
            }

            if (path.StartsWith(m.ContainerPath + "/", StringComparison.Ordinal))
            {
                return m.HostPath + path[m.ContainerPath.Length..];
            }
        }

        return null;
    }

    private static bool Matches(string text, int at, string path) =>
        string.CompareOrdinal(text, at, path, 0, path.Length) == 0
        && (at + path.Length == text.Length || text[at + path.Length] == '/' || !IsPathChar(text[at + path.Length]));

    private static bool IsPathChar(char c) => char.IsLetterOrDigit(c) || c is '.' or '_' or '-' or '~' or '/' or '+' or '@';

    private static string Normalize(string path) => path.Length > 1 ? path.TrimEnd('/') : path;
}
