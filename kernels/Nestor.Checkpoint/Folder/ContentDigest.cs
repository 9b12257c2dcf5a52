using System.Security.Cryptography;
using System.Text;

namespace Nestor.Checkpoint;

/// <summary>
/// The content digest of a checkpoint folder. <c>checksums.sha256</c> lists every regular file (except itself and
/// <c>progress.json</c>) in <c>sha256sum</c> format, sorted by path; the digest is <c>sha256:</c> + the SHA-256 of
/// that file's bytes. <c>sha256sum -c checksums.sha256</c> verifies a folder with standard tools.
/// </summary>
public static class ContentDigest
{
    public const string ChecksumsFileName = "checksums.sha256";
    public const string Prefix = "sha256:";

    private static readonly HashSet<string> Excluded = new(StringComparer.Ordinal) { ChecksumsFileName, ProgressRecord.FileName };

    /// <summary>The text of <c>checksums.sha256</c> for the folder as it is now.</summary>
    public static string ComputeChecksums(string folder)
    {
        folder = Path.GetFullPath(folder);
        var lines = new List<(string Path, string Hash)>();
        foreach (var file in Directory.EnumerateFiles(folder, "*", SearchOption.AllDirectories))
        {
            var relative = Path.GetRelativePath(folder, file).Replace('\\', '/');
            if (Excluded.Contains(relative) || relative.Contains('\n', StringComparison.Ordinal))
            {
                continue;
            }

            using var stream = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20);
            lines.Add((relative, Convert.ToHexStringLower(SHA256.HashData(stream))));
        }

        var text = new StringBuilder();
        foreach (var (path, hash) in lines.OrderBy(l => l.Path, StringComparer.Ordinal))
        {
            text.Append(hash).Append("  ").Append(path).Append('\n');
        }

        return text.ToString();
    }

    /// <summary>The digest of a checksums listing.</summary>
    public static string OfChecksums(string checksumsText) => Prefix + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(checksumsText)));

    /// <summary>Writes <c>checksums.sha256</c> (atomically) and returns the digest.</summary>
    public static string Write(string folder)
    {
        var text = ComputeChecksums(folder);
        AtomicFile.WriteAllText(Path.Combine(folder, ChecksumsFileName), text);
        return OfChecksums(text);
    }

    /// <summary>The digest recorded by the folder's <c>checksums.sha256</c> (files are not re-hashed), or null.</summary>
    public static string? Read(string folder)
    {
        var path = Path.Combine(folder, ChecksumsFileName);
        return File.Exists(path) ? Prefix + Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(path))) : null;
    }

    /// <summary>Re-hashes every file and checks it against <c>checksums.sha256</c>; returns the digest.</summary>
    public static string Verify(string folder)
    {
        var path = Path.Combine(folder, ChecksumsFileName);
        if (!File.Exists(path))
        {
            throw new CheckpointFormatException(path, "file not found: the folder has no content listing");
        }

        var recorded = File.ReadAllText(path);
        var actual = ComputeChecksums(folder);
        if (recorded != actual)
        {
            var expected = Parse(recorded);
            var found = Parse(actual);
            var changed = expected.Keys.Union(found.Keys).Order(StringComparer.Ordinal)
                .First(k => expected.GetValueOrDefault(k) != found.GetValueOrDefault(k));
            var what = !found.ContainsKey(changed) ? "is missing" : !expected.ContainsKey(changed) ? "is not listed" : "has a different SHA-256";
            throw new CheckpointFormatException(path, $"file '{changed}' {what}: the folder does not match its checksums");
        }

        return OfChecksums(recorded);
    }

    /// <summary>The folder name for a digest: <c>sha256-&lt;hex&gt;</c>.</summary>
    public static string FolderName(string digest) =>
        digest.StartsWith(Prefix, StringComparison.Ordinal) ? "sha256-" + digest[Prefix.Length..] : throw new ArgumentException($"not a sha256 digest: {digest}", nameof(digest));

    private static Dictionary<string, string> Parse(string text) =>
        text.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(line => (Hash: line[..Math.Min(64, line.Length)], Path: line.Length > 66 ? line[66..] : ""))
            .GroupBy(l => l.Path, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => g.First().Hash, StringComparer.Ordinal);
}
