using System.Text.Json.Nodes;
using Nestor.Charts.Tests.Support;
using Nestor.Operator.Hosting;

namespace Nestor.Charts.Tests;

/// <summary>The chart grants exactly <see cref="OperatorPermissions"/>: no more, no less, in the right places.</summary>
public sealed class ChartRbacTests
{
    [HelmFact]
    public async Task ClusterWideTheClusterRoleGrantsExactlyTheWatchedPermissions()
    {
        var objects = await Helm.TemplateAsync();
        var role = Helm.Single(objects, "ClusterRole", "nestor");
        AssertExactly(PermissionScope.WatchedNamespaces, role);

        var binding = Helm.Single(objects, "ClusterRoleBinding", "nestor");
        Assert.Equal("ClusterRole", (string?)binding["roleRef"]!["kind"]);
        Assert.Equal("nestor", (string?)binding["roleRef"]!["name"]);
        AssertBindsTheOperator(binding, "nestor", "nestor-system");

        AssertLeaseRole(objects, "nestor", "nestor-system");
        Assert.DoesNotContain(Helm.OfKind(objects, "Role"), r => (string?)r["metadata"]!["name"] == "nestor");
    }

    [HelmFact]
    public async Task PerNamespaceEachWatchedNamespaceGetsARoleAndNothingIsClusterWide()
    {
        var objects = await Helm.TemplateAsync(new Dictionary<string, string> { ["watchNamespaces"] = """["team-a","team-b"]""" },
            release: "nestor", @namespace: "ops");
        Assert.Empty(Helm.OfKind(objects, "ClusterRole"));
        Assert.Empty(Helm.OfKind(objects, "ClusterRoleBinding"));
        foreach (var ns in new[] { "team-a", "team-b" })
        {
            var role = Assert.Single(Helm.OfKind(objects, "Role"), r => (string?)r["metadata"]!["namespace"] == ns);
            AssertExactly(PermissionScope.WatchedNamespaces, role);
            var binding = Assert.Single(Helm.OfKind(objects, "RoleBinding"), r => (string?)r["metadata"]!["namespace"] == ns);
            Assert.Equal((string?)role["metadata"]!["name"], (string?)binding["roleRef"]!["name"]);
            Assert.Equal("Role", (string?)binding["roleRef"]!["kind"]);
            AssertBindsTheOperator(binding, "nestor", "ops");
        }

        AssertLeaseRole(objects, "nestor", "ops");
        var env = Helm.Single(objects, "Deployment")["spec"]!["template"]!["spec"]!["containers"]![0]!["env"]!.AsArray();
        Assert.Equal("team-a,team-b", (string?)env.Single(e => (string?)e!["name"] == "NESTOR_NAMESPACES")!["value"]);
    }

    [HelmFact]
    public async Task WithoutLeaderElectionThereIsNoLeaseRole()
    {
        var objects = await Helm.TemplateAsync(new Dictionary<string, string> { ["leaderElection"] = """{"enabled":false}""" });
        Assert.DoesNotContain(Helm.OfKind(objects, "Role"), r => Rules(r).Any(t => t.Resource == "leases"));
        AssertExactly(PermissionScope.WatchedNamespaces, Helm.Single(objects, "ClusterRole"));
    }

    [HelmFact]
    public async Task WithRbacOffTheChartRendersNoRbacObjects()
    {
        var objects = await Helm.TemplateAsync(new Dictionary<string, string> { ["rbac"] = """{"create":false}""" });
        Assert.DoesNotContain(objects, o => ((string?)o["apiVersion"])!.StartsWith("rbac.authorization.k8s.io/", StringComparison.Ordinal));
    }

    [Fact]
    public void OperatorPermissionsNameEachResourceOnceAndNoWildcards()
    {
        Assert.Equal(OperatorPermissions.All.Count, OperatorPermissions.All.Select(p => (p.ApiGroup, p.Resource)).Distinct().Count());
        // The request-coverage test matches the local API server's records by resource name alone.
        Assert.Equal(OperatorPermissions.All.Count, OperatorPermissions.All.Select(p => p.Resource).Distinct().Count());
        Assert.All(OperatorPermissions.All, p => Assert.DoesNotContain("*", p.Verbs));
        Assert.All(OperatorPermissions.All, p => Assert.DoesNotContain("*", p.Resource, StringComparison.Ordinal));
        Assert.DoesNotContain(OperatorPermissions.All, p => p.Resource == "secrets");
    }

    private static void AssertLeaseRole(IReadOnlyList<JsonObject> objects, string release, string ns)
    {
        var role = Helm.Single(objects, "Role", $"{release}-leader-election");
        Assert.Equal(ns, (string?)role["metadata"]!["namespace"]);
        AssertExactly(PermissionScope.LeaseNamespace, role);
        var binding = Helm.Single(objects, "RoleBinding", $"{release}-leader-election");
        Assert.Equal(ns, (string?)binding["metadata"]!["namespace"]);
        AssertBindsTheOperator(binding, release, ns);
    }

    private static void AssertBindsTheOperator(JsonObject binding, string serviceAccount, string ns)
    {
        var subject = Assert.Single(binding["subjects"]!.AsArray())!;
        Assert.Equal("ServiceAccount", (string?)subject["kind"]);
        Assert.Equal(serviceAccount, (string?)subject["name"]);
        Assert.Equal(ns, (string?)subject["namespace"]);
    }

    private static void AssertExactly(PermissionScope scope, JsonObject role)
    {
        var expected = OperatorPermissions.Triples(scope);
        var granted = Rules(role);
        Assert.True(expected.SetEquals(granted),
            $"{role["kind"]} {role["metadata"]!["name"]} differs from OperatorPermissions ({scope}).\n" +
            $"Granted but not needed: {Describe(granted.Except(expected))}\nNeeded but not granted: {Describe(expected.Except(granted))}");
    }

    private static HashSet<(string ApiGroup, string Resource, string Verb)> Rules(JsonObject role)
    {
        var triples = new HashSet<(string, string, string)>();
        foreach (var rule in role["rules"]!.AsArray())
        {
            Assert.Null(rule!["resourceNames"]);
            Assert.Null(rule["nonResourceURLs"]);
            foreach (var group in rule["apiGroups"]!.AsArray())
            {
                foreach (var resource in rule["resources"]!.AsArray())
                {
                    foreach (var verb in rule["verbs"]!.AsArray())
                    {
                        triples.Add(((string)group!, (string)resource!, (string)verb!));
                    }
                }
            }
        }

        return triples;
    }

    private static string Describe(IEnumerable<(string ApiGroup, string Resource, string Verb)> triples) =>
        string.Join(", ", triples.Select(t => $"{t.Verb} {t.Resource}{(t.ApiGroup.Length > 0 ? "." + t.ApiGroup : "")}").Order()) is { Length: > 0 } s ? s : "none";
}
