namespace Nestor.Testing;

/// <summary>
/// Runs the real kubectl against a kubeconfig, with a private discovery cache. Found on PATH, or at
/// .tools/kubectl in the repository; <see cref="Path"/> is null when neither exists (tests skip then).
/// </summary>
public sealed class Kubectl(string kubeconfig, string cacheDirectory)
{
    private static readonly Lazy<string?> LazyPath = new(Find);

    public static string? Path => LazyPath.Value;

    public static string MissingMessage =>
        "kubectl not found on PATH or at .tools/kubectl (the image ships /usr/bin/kubectl v1.32; install it to run these tests)";

    private static string? Find()
    {
        var local = RepoPaths.Combine(".tools", "kubectl");
        if (File.Exists(local))
        {
            return local;
        }

        foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(System.IO.Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
        {
            var candidate = System.IO.Path.Combine(dir, "kubectl");
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        return null;
    }

    public async Task<ProcessRunner.Result> RunAsync(params string[] arguments) => await RunAsync(arguments, null);

    public async Task<ProcessRunner.Result> RunAsync(IEnumerable<string> arguments, string? standardInput, CancellationToken cancellationToken = default)
    {
        var path = Path ?? throw new InvalidOperationException(MissingMessage);
        List<string> all = ["--kubeconfig", kubeconfig, "--cache-dir", cacheDirectory, .. arguments];
        if (standardInput is null)
        {
            return await ProcessRunner.RunAsync(path, all, timeout: TimeSpan.FromMinutes(1), cancellationToken: cancellationToken);
        }

        var file = System.IO.Path.Combine(cacheDirectory, $"stdin-{Guid.NewGuid():N}.yaml");
        Directory.CreateDirectory(cacheDirectory);
        await File.WriteAllTextAsync(file, standardInput, cancellationToken);
        var replaced = all.Select(a => a == "-" ? file : a).ToList();
        return await ProcessRunner.RunAsync(path, replaced, timeout: TimeSpan.FromMinutes(1), cancellationToken: cancellationToken);
    }

    /// <summary>Runs kubectl and fails with its output unless it exits 0.</summary>
    public async Task<string> SucceedAsync(params string[] arguments)
    {
        var result = await RunAsync(arguments);
        if (result.ExitCode != 0)
        {
            throw new InvalidOperationException($"kubectl {string.Join(' ', arguments)} exited {result.ExitCode}:\n{result.Combined}");
        }

        return result.StandardOutput;
    }
}
