using System.Collections.Immutable;
using System.Globalization;
using System.Text.RegularExpressions;
using Nestor.ApiServer.Storage;

namespace Nestor.ApiServer.Resources;

/// <summary>
/// Every served resource (built-in and from established CRDs), by group, version and plural. Replaced as a
/// whole when a CRD changes, so readers always see a consistent set.
/// </summary>
internal sealed partial class ResourceCatalog
{
    private ImmutableList<ResourceDefinition> _all;

    public ResourceCatalog() => _all = [.. BuiltinResources.All];

    public IReadOnlyList<ResourceDefinition> All => Volatile.Read(ref _all);

    public ResourceDefinition? Find(string group, string version, string plural) =>
        All.FirstOrDefault(d => d.Group == group && d.Version == version && d.Plural == plural);

    /// <summary>The definition at the group's preferred version (used by garbage collection and the CRD controller).</summary>
    public ResourceDefinition? Preferred(GroupResource resource) =>
        All.Where(d => d.Group == resource.Group && d.Plural == resource.Resource).OrderBy(d => d.Version, VersionComparer.Instance).FirstOrDefault();

    public ResourceDefinition? ByKind(string apiVersion, string kind)
    {
        var slash = apiVersion.IndexOf('/', StringComparison.Ordinal);
        var (group, version) = slash < 0 ? ("", apiVersion) : (apiVersion[..slash], apiVersion[(slash + 1)..]);
        return All.FirstOrDefault(d => d.Group == group && d.Version == version && d.Kind == kind)
            ?? All.Where(d => d.Group == group && d.Kind == kind).OrderBy(d => d.Version, VersionComparer.Instance).FirstOrDefault();
    }

    /// <summary>Groups in discovery order (core first, built-ins, then custom groups by name) with versions, preferred first.</summary>
    public IReadOnlyList<(string Group, IReadOnlyList<string> Versions)> Groups()
    {
        var all = All;
        return all.Select(d => d.Group).Distinct()
            .Select(g => (Group: g, Versions: (IReadOnlyList<string>)all.Where(d => d.Group == g).Select(d => d.Version).Distinct().OrderBy(v => v, VersionComparer.Instance).ToList()))
            .ToList();
    }

    public void ReplaceCustomResources(IEnumerable<ResourceDefinition> custom) =>
        Volatile.Write(ref _all, [.. BuiltinResources.All, .. custom]);

    /// <summary>Kubernetes version priority: GA before beta before alpha, higher numbers first, then other strings by name.</summary>
    internal sealed partial class VersionComparer : IComparer<string>
    {
        public static readonly VersionComparer Instance = new();

        public int Compare(string? x, string? y)
        {
            var (kx, mx, nx) = Parse(x ?? "");
            var (ky, my, ny) = Parse(y ?? "");
            if (kx != ky)
            {
                return kx.CompareTo(ky);
            }

            if (kx == 3)
            {
                return string.CompareOrdinal(x, y);
            }

            return mx != my ? my.CompareTo(mx) : ny.CompareTo(nx);
        }

        private static (int Kind, int Major, int Minor) Parse(string v)
        {
            var m = KubeVersion().Match(v);
            if (!m.Success)
            {
                return (3, 0, 0);
            }

            var major = int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture);
            var kind = m.Groups[2].Value switch
            {
                "" => 0,
                "beta" => 1,
                _ => 2,
            };
            var minor = m.Groups[3].Success && m.Groups[3].Value.Length > 0 ? int.Parse(m.Groups[3].Value, CultureInfo.InvariantCulture) : 0;
            return (kind, major, minor);
        }

        [GeneratedRegex("^v([0-9]+)(?:(alpha|beta)([0-9]+))?$")]
        private static partial Regex KubeVersion();
    }
}
