using Nestor.Testing;

namespace Nestor.Charts.Tests.Support;

/// <summary>
/// The external tools these tests run. helm is installed at .tools/helm by `make setup`
/// (build/install-helm.sh); lua5.1 by `make setup` too (Debian package). A missing tool skips its tests
/// on a developer machine and fails them in CI (CI=true), where `make setup` must have installed it.
/// </summary>
public static class Tools
{
    private static readonly Lazy<string?> LazyHelm = new(() => Existing(RepoPaths.Combine(".tools", "helm")) ?? OnPath("helm"));
    private static readonly Lazy<string?> LazyLua = new(() => OnPath("lua5.1"));

    public static bool InCi => string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase);

    public static string? Helm => LazyHelm.Value;

    public static string? Lua => LazyLua.Value;

    public static string HelmMissing => "helm is not at .tools/helm or on PATH: run `make setup` (or `make helm`)";

    public static string LuaMissing => "lua5.1 is not on PATH: run `make setup` (Debian package lua5.1)";

    public static string Require(string? path, string missing) =>
        path ?? throw new InvalidOperationException(missing + (InCi ? " (CI=true: this must not be skipped)" : ""));

    private static string? Existing(string path) => File.Exists(path) ? path : null;

    private static string? OnPath(string name) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Select(dir => Path.Combine(dir, name))
            .FirstOrDefault(File.Exists);
}

/// <summary>A fact that needs helm: skipped where helm is missing, unless in CI, where it then fails.</summary>
public sealed class HelmFactAttribute : FactAttribute
{
    public HelmFactAttribute()
    {
        if (Tools.Helm is null && !Tools.InCi)
        {
            Skip = Tools.HelmMissing;
        }
    }
}

/// <summary>A theory that needs helm (see <see cref="HelmFactAttribute"/>).</summary>
public sealed class HelmTheoryAttribute : TheoryAttribute
{
    public HelmTheoryAttribute()
    {
        if (Tools.Helm is null && !Tools.InCi)
        {
            Skip = Tools.HelmMissing;
        }
    }
}

/// <summary>A theory that needs lua5.1: skipped where it is missing, unless in CI, where it then fails.</summary>
public sealed class LuaTheoryAttribute : TheoryAttribute
{
    public LuaTheoryAttribute()
    {
        if (Tools.Lua is null && !Tools.InCi)
        {
            Skip = Tools.LuaMissing;
        }
    }
}
