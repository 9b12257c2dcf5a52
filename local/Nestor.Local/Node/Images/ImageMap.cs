namespace Nestor.Local.Node.Images;

/// <summary>
/// What a container image stands for on this machine: a directory (the image's filesystem, where a
/// command without a slash is looked up first), the image's ENTRYPOINT and CMD, and its ENV.
/// A null directory means "the host": commands are found on PATH (for busybox-like images).
/// </summary>
public sealed record LocalImage(string? Directory, IReadOnlyList<string> Entrypoint, IReadOnlyList<string> Cmd)
{
    public IReadOnlyDictionary<string, string> Env { get; init; } = new Dictionary<string, string>();

    /// <summary>
    /// The folder inside the real image that <see cref="Directory"/> stands for (the Nestor images' /app):
    /// paths under it in command, args and env are rewritten to the local folder, so a pod spec written
    /// for the image ("/app/nestor serve …") runs unchanged.
    /// </summary>
    public string? AppPath { get; init; }

    /// <summary>A hint shown when the directory is missing (how to build it).</summary>
    public string? BuildHint { get; init; }

    public static LocalImage Host(params string[] cmd) => new(null, [], cmd);
}

/// <summary>
/// Maps image references to local images by repository: an entry "nestor-runtime" matches
/// "nestor-runtime", "ghcr.io/acme/nestor-runtime:0.1" and "localhost:5000/x/nestor-runtime@sha256:…"
/// (the repository equals the key or ends with "/" + key; tag and digest are ignored). The last
/// matching entry wins, so entries added later override defaults.
/// </summary>
public sealed class ImageMap
{
    private readonly List<(string Key, LocalImage Image)> _entries = [];

    public IReadOnlyList<(string Key, LocalImage Image)> Entries => _entries;

    public ImageMap Add(string repository, LocalImage image)
    {
        _entries.Add((repository.Trim('/'), image));
        return this;
    }

    public LocalImage? Resolve(string image)
    {
        var repository = Repository(image);
        for (var i = _entries.Count - 1; i >= 0; i--)
        {
            var key = _entries[i].Key;
            if (repository == key || repository.EndsWith("/" + key, StringComparison.Ordinal))
            {
                return _entries[i].Image;
            }
        }

        return null;
    }

    /// <summary>The repository part of an image reference: without "@digest" and without a ":tag" after the last slash.</summary>
    public static string Repository(string image)
    {
        var at = image.IndexOf('@', StringComparison.Ordinal);
        var name = at >= 0 ? image[..at] : image;
        var slash = name.LastIndexOf('/');
        var colon = name.LastIndexOf(':');
        return colon > slash ? name[..colon] : name;
    }

    /// <summary>
    /// The images a local cluster knows by default: nestor-runtime (the `nestor` CLI) and
    /// nestor-operator from their build outputs in <paramref name="repositoryRoot"/>, and
    /// busybox, alpine, debian, ubuntu and bash as the host's own tools.
    /// </summary>
    public static ImageMap Defaults(string? repositoryRoot, string configuration = "Debug")
    {
        var map = new ImageMap();
        foreach (var host in new[] { "busybox", "alpine", "debian", "ubuntu", "bash" })
        {
            map.Add(host, LocalImage.Host(host == "bash" ? "bash" : "sh"));
        }

        if (repositoryRoot is not null)
        {
            map.Add("nestor-runtime", new LocalImage(
                Path.Combine(repositoryRoot, "runtime", "Nestor.Runtime", "bin", configuration, "net10.0"), ["nestor"], [])
            {
                AppPath = "/app",
                BuildHint = $"dotnet build runtime/Nestor.Runtime -c {configuration}",
            });
            map.Add("nestor-operator", new LocalImage(
                Path.Combine(repositoryRoot, "operator", "Nestor.Operator", "bin", configuration, "net10.0"), ["nestor-operator"], [])
            {
                AppPath = "/app",
                BuildHint = $"dotnet build operator/Nestor.Operator -c {configuration}",
            });
        }

        return map;
    }

    /// <summary>Parses "REPOSITORY=DIRECTORY[:ENTRYPOINT]" (the CLI's --image); the entrypoint is split on spaces.</summary>
    public static (string Repository, LocalImage Image) ParseOption(string text)
    {
        var eq = text.IndexOf('=', StringComparison.Ordinal);
        if (eq <= 0 || eq == text.Length - 1)
        {
            throw new FormatException($"--image '{text}': expected REPOSITORY=DIRECTORY[:ENTRYPOINT]");
        }

        var target = text[(eq + 1)..];
        var colon = target.IndexOf(':', StringComparison.Ordinal);
        var directory = colon >= 0 ? target[..colon] : target;
        var entrypoint = colon >= 0 ? target[(colon + 1)..].Split(' ', StringSplitOptions.RemoveEmptyEntries) : [];
        return (text[..eq], new LocalImage(directory == "host" ? null : Path.GetFullPath(directory), entrypoint, []));
    }
}
