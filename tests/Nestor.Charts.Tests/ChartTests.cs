using System.Text.Json.Nodes;
using Nestor.Charts.Tests.Support;
using Nestor.Testing;

namespace Nestor.Charts.Tests;

/// <summary>charts/nestor with the real helm: lint, render, and every rendered object read strictly into its type.</summary>
public sealed class ChartTests
{
    public static TheoryData<string> ValueSets => new() { "default", "production" };

    private static IReadOnlyDictionary<string, string> Values(string name) => name == "default" ? ChartValues.Default : ChartValues.Production;

    [HelmTheory]
    [MemberData(nameof(ValueSets))]
    public async Task HelmLintStrictPasses(string valueSet)
    {
        var arguments = new List<string> { "lint", "--strict", Helm.ChartPath, "--namespace", "nestor-system" };
        foreach (var (key, json) in Values(valueSet))
        {
            arguments.AddRange(["--set-json", $"{key}={json}"]);
        }

        var result = await Helm.RunAsync([.. arguments]);
        Assert.True(result.ExitCode == 0, result.Combined);
        Assert.Contains("0 chart(s) failed", result.Combined, StringComparison.Ordinal);
    }

    [HelmTheory]
    [MemberData(nameof(ValueSets))]
    public async Task EveryRenderedObjectIsItsKubernetesTypeWithNoUnknownField(string valueSet)
    {
        var objects = await Helm.TemplateAsync(Values(valueSet), includeCrds: true);
        Assert.NotEmpty(objects);
        foreach (var obj in objects)
        {
            var unknown = StrictTypes.UnknownFields(obj, out var typed);
            Assert.True(unknown.Count == 0,
                $"{obj["kind"]} {obj["metadata"]?["name"]}: fields unknown to {typed.GetType().Name}: {string.Join(", ", unknown)}");
        }

        var kinds = objects.Select(o => (string)o["kind"]!).ToHashSet();
        Assert.Superset(new HashSet<string> { "CustomResourceDefinition", "ServiceAccount", "Deployment", "Service", "Role", "RoleBinding" }, kinds);
        Assert.Equal(3, Helm.OfKind(objects, "CustomResourceDefinition").Count());
    }

    [Fact]
    public void TheStrictCheckCatchesAMisplacedField()
    {
        var deployment = JsonNode.Parse("""
            {"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"x"},
             "spec":{"replicas":1,"template":{"spec":{"containers":[{"name":"c","image":"i","readOnlyRootFilesystem":true}]}}}}
            """)!.AsObject();
        Assert.Equal(["spec.template.spec.containers[0].readOnlyRootFilesystem"], StrictTypes.UnknownFields(deployment, out _));
    }

    [HelmFact]
    public async Task TheDefaultDeploymentIsLockedDownAndProbesTheOperator()
    {
        var objects = await Helm.TemplateAsync();
        var deployment = Helm.Single(objects, "Deployment", "nestor");
        var spec = deployment["spec"]!;
        Assert.Equal(1L, (long)spec["replicas"]!);
        var pod = spec["template"]!["spec"]!;
        Assert.True((bool)pod["securityContext"]!["runAsNonRoot"]!);
        Assert.Equal(65532L, (long)pod["securityContext"]!["runAsUser"]!);
        Assert.Equal("RuntimeDefault", (string?)pod["securityContext"]!["seccompProfile"]!["type"]);
        Assert.Equal("nestor", (string?)pod["serviceAccountName"]);

        var container = Assert.Single(pod["containers"]!.AsArray())!;
        Assert.Equal("nestor-operator:0.1.0", (string?)container["image"]);
        var security = container["securityContext"]!;
        Assert.False((bool)security["allowPrivilegeEscalation"]!);
        Assert.True((bool)security["readOnlyRootFilesystem"]!);
        Assert.Equal(["ALL"], security["capabilities"]!["drop"]!.AsArray().Select(c => (string)c!));
        Assert.Equal("/healthz", (string?)container["livenessProbe"]!["httpGet"]!["path"]);
        Assert.Equal("/readyz", (string?)container["readinessProbe"]!["httpGet"]!["path"]);
        Assert.Equal("metrics", (string?)container["readinessProbe"]!["httpGet"]!["port"]);
        Assert.Equal(8080L, (long)container["ports"]![0]!["containerPort"]!);
        Assert.NotNull(container["resources"]!["requests"]!["memory"]);
        Assert.NotNull(container["resources"]!["limits"]!["memory"]);
        Assert.Equal("/tmp", (string?)container["volumeMounts"]![0]!["mountPath"]);
        Assert.NotNull(pod["volumes"]![0]!["emptyDir"]);

        Assert.Equal(8080L, (long)Helm.Single(objects, "Service", "nestor-metrics")["spec"]!["ports"]![0]!["port"]!);
        Assert.Empty(Helm.OfKind(objects, "ServiceMonitor"));
        Assert.Empty(Helm.OfKind(objects, "PodDisruptionBudget"));
    }

    [HelmFact]
    public async Task ProductionValuesReachTheObjects()
    {
        var objects = await Helm.TemplateAsync(ChartValues.Production, release: "ml", @namespace: "nestor-system");
        var deployment = Helm.Single(objects, "Deployment", "ml-nestor");
        Assert.Equal(2L, (long)deployment["spec"]!["replicas"]!);
        var pod = deployment["spec"]!["template"]!["spec"]!;
        var container = pod["containers"]![0]!;
        Assert.Equal("registry.example.com/nestor/nestor-operator@sha256:0a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f9",
            (string?)container["image"]);
        Assert.Equal("Always", (string?)container["imagePullPolicy"]);
        Assert.Equal("registry-credentials", (string?)pod["imagePullSecrets"]![0]!["name"]);
        Assert.Equal("nestor-operator", (string?)pod["serviceAccountName"]);
        Assert.Equal("system", (string?)pod["tolerations"]![0]!["value"]);
        Assert.Equal("true", (string?)pod["nodeSelector"]!["node-role.example.com/system"]);
        Assert.NotNull(pod["affinity"]!["podAntiAffinity"]);
        Assert.NotNull(pod["topologySpreadConstraints"]);
        Assert.Equal("system-cluster-critical", (string?)pod["priorityClassName"]);
        Assert.Equal(9090L, (long)container["ports"]![0]!["containerPort"]!);
        Assert.Equal("ml", (string?)deployment["spec"]!["template"]!["metadata"]!["labels"]!["example.com/cost-center"]);

        var monitor = Helm.Single(objects, "ServiceMonitor", "ml-nestor");
        Assert.Equal("prometheus", (string?)monitor["metadata"]!["labels"]!["release"]);
        Assert.Equal("15s", (string?)monitor["spec"]!["endpoints"]![0]!["interval"]);
        Assert.Equal("metrics", (string?)monitor["spec"]!["endpoints"]![0]!["port"]);
        var service = Helm.Single(objects, "Service", "ml-nestor-metrics");
        Assert.Equal(9090L, (long)service["spec"]!["ports"]![0]!["port"]!);
        // The ServiceMonitor selects the metrics Service, and the Service selects the operator's pods.
        var podLabels = deployment["spec"]!["template"]!["metadata"]!["labels"]!.AsObject();
        foreach (var (key, value) in monitor["spec"]!["selector"]!["matchLabels"]!.AsObject())
        {
            Assert.Equal((string?)value, (string?)service["metadata"]!["labels"]![key]);
        }

        foreach (var (key, value) in service["spec"]!["selector"]!.AsObject())
        {
            Assert.Equal((string?)value, (string?)podLabels[key]);
        }

        var budget = Helm.Single(objects, "PodDisruptionBudget", "ml-nestor");
        Assert.Equal(1L, (long)budget["spec"]!["minAvailable"]!);
    }

    [HelmTheory]
    [InlineData("logLevl", "\"Debug\"", "additional properties 'logLevl' not allowed")]
    [InlineData("logLevel", "\"Verbose\"", "at '/logLevel'")]
    [InlineData("replicaCount", "0", "at '/replicaCount'")]
    [InlineData("watchNamespaces", "[\"Not_A_Namespace\"]", "at '/watchNamespaces/0'")]
    [InlineData("metrics", "{\"port\":80}", "at '/metrics/port'")]
    [InlineData("image", "{\"repository\":\"nestor-operator\",\"digest\":\"latest\"}", "at '/image/digest'")]
    public async Task ValuesOutsideTheSchemaAreRejectedNamingTheField(string key, string json, string expected)
    {
        var result = await Helm.RunAsync(Helm.TemplateArguments(new Dictionary<string, string> { [key] = json }));
        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains(expected, result.Combined, StringComparison.Ordinal);
    }

    [HelmFact]
    public async Task TwoReplicasWithoutLeaderElectionAreRefused()
    {
        var result = await Helm.RunAsync(Helm.TemplateArguments(new Dictionary<string, string>
        {
            ["replicaCount"] = "2",
            ["leaderElection"] = """{"enabled":false}""",
        }));
        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains("replicaCount > 1 needs leaderElection.enabled", result.Combined, StringComparison.Ordinal);
    }

    [Fact]
    public void TheChartCarriesTheGeneratedCrdsUnchanged()
    {
        var generated = Directory.GetFiles(RepoPaths.Combine("crds"), "*.yaml").Select(Path.GetFileName).Order().ToList();
        var inChart = Directory.GetFiles(RepoPaths.Combine("charts", "nestor", "crds")).Select(Path.GetFileName).Order().ToList();
        Assert.Equal(generated, inChart);
        foreach (var name in generated)
        {
            Assert.True(File.ReadAllText(RepoPaths.Combine("crds", name!)) == File.ReadAllText(RepoPaths.Combine("charts", "nestor", "crds", name!)),
                $"charts/nestor/crds/{name} differs from crds/{name}: run `make crds`");
        }
    }
}
