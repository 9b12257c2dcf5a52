using System.Text.Json.Nodes;
using Nestor.Testing;

namespace Nestor.ApiServer.Tests;

/// <summary>The real kubectl against the server, through the kubeconfig it writes.</summary>
public sealed class KubectlTests : IAsyncLifetime
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "nestor-kubectl-" + Guid.NewGuid().ToString("N"));
    private LocalApiServer _server = null!;
    private Kubectl _kubectl = null!;

    public async Task InitializeAsync()
    {
        _server = await TestServer.StartAsync();
        var kubeconfig = Path.Combine(_dir, "kubeconfig");
        _server.WriteKubeconfig(kubeconfig);
        _kubectl = new Kubectl(kubeconfig, Path.Combine(_dir, "cache"));
    }

    public async Task DisposeAsync()
    {
        await _server.DisposeAsync();
        Directory.Delete(_dir, recursive: true);
    }

    private string Write(string name, string content)
    {
        var path = Path.Combine(_dir, name);
        File.WriteAllText(path, content);
        return path;
    }

    private async Task<string> ApplyFixturesAsync()
    {
        var crd = Write("crd.yaml", TestServer.Fixture("widget-crd.yaml"));
        await _kubectl.SucceedAsync("apply", "-f", crd);
        await _kubectl.SucceedAsync("wait", "--for=condition=Established", "crd/widgets.test.nestor.dev", "--timeout=10s");
        return await _kubectl.SucceedAsync("apply", "-f", Write("widgets.yaml", TestServer.Fixture("widgets.yaml")));
    }

    [KubectlFact]
    public async Task Apply_CreatesThenConfigures_AndGetShowsPrinterColumns()
    {
        var created = await ApplyFixturesAsync();
        Assert.Contains("widget.test.nestor.dev/alpha created", created, StringComparison.Ordinal);
        Assert.Contains("deployment.apps/web created", created, StringComparison.Ordinal);

        var changed = TestServer.Fixture("widgets.yaml").Replace("size: large", "size: medium", StringComparison.Ordinal).Replace("nginx:1.27", "nginx:1.28", StringComparison.Ordinal);
        var configured = await _kubectl.SucceedAsync("apply", "-f", Write("widgets2.yaml", changed));
        Assert.Contains("widget.test.nestor.dev/beta configured", configured, StringComparison.Ordinal);
        Assert.Contains("widget.test.nestor.dev/alpha unchanged", configured, StringComparison.Ordinal);
        Assert.Contains("deployment.apps/web configured", configured, StringComparison.Ordinal);
        Assert.Contains("service/web unchanged", configured, StringComparison.Ordinal);

        var table = await _kubectl.SucceedAsync("get", "widgets");
        var lines = table.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Matches(@"^NAME\s+SIZE\s+REPLICAS\s+READY\s+AGE$", lines[0]);
        Assert.Matches(@"^alpha\s+small\s+2\s+\s+[0-9]+s$", lines[1]);
        Assert.Matches(@"^beta\s+medium\s+1\s+\s+[0-9]+s$", lines[2]);

        var image = await _kubectl.SucceedAsync("get", "deploy", "web", "-o", "jsonpath={.spec.template.spec.containers[0].image} {.metadata.generation}");
        Assert.Equal("nginx:1.28 2", image.Trim());
        var builtins = await _kubectl.SucceedAsync("get", "deploy,svc,cm", "-o", "wide");
        Assert.Contains("nginx:1.28", builtins, StringComparison.Ordinal);
        Assert.Matches(@"service/web\s+ClusterIP\s+10\.96\.", builtins);
        var shortName = await _kubectl.SucceedAsync("get", "wd", "-o", "name");
        Assert.Equal("widget.test.nestor.dev/alpha\nwidget.test.nestor.dev/beta\n", shortName);
    }

    [KubectlFact]
    public async Task BadManifest_IsRejected_WithTheFieldPathInKubectlsMessage()
    {
        await ApplyFixturesAsync();
        var result = await _kubectl.RunAsync("apply", "-f", Write("bad.yaml", TestServer.Fixture("bad-widget.yaml")));
        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains("The Widget \"broken\" is invalid", result.StandardError, StringComparison.Ordinal);
        Assert.Contains("spec.budgets[0].name: Required value", result.StandardError, StringComparison.Ordinal);
        Assert.Contains("spec.size: Unsupported value: \"huge\"", result.StandardError, StringComparison.Ordinal);
        Assert.Contains("minReplicas must be <= replicas", result.StandardError, StringComparison.Ordinal);

        var unknown = await _kubectl.RunAsync("apply", "-f", Write("unknown.yaml", "apiVersion: test.nestor.dev/v1\nkind: Widget\nmetadata: {name: u}\nspec: {size: small, color: red}\n"));
        Assert.NotEqual(0, unknown.ExitCode);
        Assert.Contains("unknown field \"spec.color\"", unknown.StandardError, StringComparison.Ordinal);
    }

    [KubectlFact]
    public async Task Delete_WaitsForFinalizers_AndCollectsOwnedObjects()
    {
        await ApplyFixturesAsync();
        await _kubectl.SucceedAsync("patch", "widget", "alpha", "--type=merge", "-p", """{"metadata":{"finalizers":["test.nestor.dev/cleanup"]}}""");
        var deleted = await _kubectl.SucceedAsync("delete", "widget", "alpha", "--wait=false");
        Assert.Contains("widget.test.nestor.dev \"alpha\" deleted", deleted, StringComparison.Ordinal);
        var timestamp = await _kubectl.SucceedAsync("get", "widget", "alpha", "-o", "jsonpath={.metadata.deletionTimestamp}");
        Assert.NotEmpty(timestamp);
        await _kubectl.SucceedAsync("patch", "widget", "alpha", "--type=json", "-p", """[{"op":"remove","path":"/metadata/finalizers"}]""");
        var gone = await _kubectl.RunAsync("get", "widget", "alpha");
        Assert.Contains("widgets.test.nestor.dev \"alpha\" not found", gone.StandardError, StringComparison.Ordinal);

        var uid = await _kubectl.SucceedAsync("get", "widget", "beta", "-o", "jsonpath={.metadata.uid}");
        var child = $$"""
            apiVersion: v1
            kind: ConfigMap
            metadata:
              name: beta-child
              ownerReferences: [{apiVersion: test.nestor.dev/v1, kind: Widget, name: beta, uid: {{uid}}, controller: true, blockOwnerDeletion: true}]
            data: {a: b}
            """;
        await _kubectl.SucceedAsync("apply", "-f", Write("child.yaml", child));
        await _kubectl.SucceedAsync("delete", "widget", "beta");
        Assert.True(await Eventually.TrueAsync(async () => (await _kubectl.RunAsync("get", "cm", "beta-child")).ExitCode != 0));
    }

    [KubectlFact]
    public async Task ServerSideApply_ReportsConflicts_AndForceTakesOwnership()
    {
        var config = Write("ssa.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: ssa}\ndata: {one: '1'}\n");
        Assert.Contains("serverside-applied", await _kubectl.SucceedAsync("apply", "--server-side", "-f", config), StringComparison.Ordinal);
        await _kubectl.SucceedAsync("patch", "cm", "ssa", "--type=merge", "-p", """{"data":{"one":"2"}}""", "--field-manager=someone-else");
        var conflict = await _kubectl.RunAsync("apply", "--server-side", "-f", config);
        Assert.NotEqual(0, conflict.ExitCode);
        Assert.Contains("Apply failed with 1 conflict: conflict with \"someone-else\"", conflict.StandardError, StringComparison.Ordinal);
        Assert.Contains(".data.one", conflict.StandardError, StringComparison.Ordinal);
        await _kubectl.SucceedAsync("apply", "--server-side", "--force-conflicts", "-f", config);
        var managed = JsonNode.Parse(await _kubectl.SucceedAsync("get", "cm", "ssa", "-o", "json", "--show-managed-fields"))!;
        Assert.Equal("1", (string?)managed["data"]!["one"]);
        Assert.Contains(managed["metadata"]!["managedFields"]!.AsArray(), m => (string?)m!["manager"] == "kubectl" && (string?)m["operation"] == "Apply");
    }

    [KubectlFact]
    public async Task Replace_WithStaleResourceVersion_IsAConflict()
    {
        await _kubectl.SucceedAsync("apply", "-f", Write("cm.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata: {a: '1'}\n"));
        var current = await _kubectl.SucceedAsync("get", "cm", "c", "-o", "yaml");
        await _kubectl.SucceedAsync("patch", "cm", "c", "--type=merge", "-p", """{"data":{"a":"2"}}""");
        var stale = await _kubectl.RunAsync("replace", "-f", Write("stale.yaml", current));
        Assert.NotEqual(0, stale.ExitCode);
        Assert.Contains("the object has been modified; please apply your changes to the latest version and try again", stale.StandardError, StringComparison.Ordinal);
    }

    [KubectlFact]
    public async Task Scale_AndWatch_Work()
    {
        await ApplyFixturesAsync();
        await _kubectl.SucceedAsync("scale", "deployment/web", "--replicas=3");
        await _kubectl.SucceedAsync("scale", "widget/alpha", "--replicas=4");
        Assert.Equal("3 4", (await _kubectl.SucceedAsync("get", "deploy/web", "widget/alpha", "-o", "jsonpath={.items[*].spec.replicas}")).Trim());

        var watch = _kubectl.RunAsync("get", "widgets", "--watch", "--output-watch-events", "--request-timeout=3s");
        await Task.Delay(1000);
        await _kubectl.SucceedAsync("patch", "widget", "beta", "--type=merge", "-p", """{"spec":{"replicas":5}}""");
        var output = (await watch).StandardOutput;
        Assert.Matches(@"ADDED\s+alpha", output);
        Assert.Matches(@"MODIFIED\s+beta\s+large\s+5", output);
    }

    [KubectlFact]
    public async Task Quickstart_AppliesWithTheGeneratedCrds_AndGetShowsTheirPrinterColumns()
    {
        var crds = RepoPaths.Combine("crds");
        var quickstart = RepoPaths.Combine("examples", "quickstart");

        // kubectl maps every object before applying any, so on an empty cluster the CRDs go first (as with kube-apiserver).
        await _kubectl.SucceedAsync("apply", "-f", crds);
        await _kubectl.SucceedAsync("wait", "--for=condition=Established", "crd/elasticmodels.nestor.dev", "crd/budgettiers.nestor.dev",
            "crd/compressionruns.nestor.dev", "--timeout=10s");
        var applied = await _kubectl.SucceedAsync("apply", "-f", crds, "-f", quickstart);
        Assert.Contains("elasticmodel.nestor.dev/tiny-elastic created", applied, StringComparison.Ordinal);
        Assert.Contains("compressionrun.nestor.dev/tiny-elastify created", applied, StringComparison.Ordinal);
        Assert.Contains("budgettier.nestor.dev/tiny-b50 created", applied, StringComparison.Ordinal);

        var table = await _kubectl.SucceedAsync("get", "elasticmodels,budgettiers,compressionruns");
        Assert.Matches(@"NAME\s+DIGEST\s+BUDGETS\s+TIERS\s+READY\s+AGE", table);
        Assert.Matches(@"NAME\s+MODEL\s+BUDGET\s+DESIRED\s+READY\s+WAITING\s+AGE", table);
        Assert.Matches(@"budgettier.nestor.dev/tiny-b75\s+tiny-elastic\s+b75\s", table);
        Assert.Matches(@"NAME\s+PHASE\s+STEP\s+TOTAL\s+ETA\(S\)\s+AGE", table);

        Assert.Contains("unchanged", await _kubectl.SucceedAsync("apply", "-f", crds, "-f", quickstart), StringComparison.Ordinal);

        var bad = File.ReadAllText(Path.Combine(quickstart, "30-budgettiers.yaml")).Split("\n---\n")[0]
            .Replace("  minReplicas: 1", "  minReplicas: 5", StringComparison.Ordinal)
            .Replace("  modelRef:\n    name: tiny-elastic", "  modelRef: {}", StringComparison.Ordinal)
            .Replace("name: tiny-full", "name: broken-tier", StringComparison.Ordinal);
        var rejected = await _kubectl.RunAsync("apply", "-f", Write("bad-tier.yaml", bad));
        Assert.NotEqual(0, rejected.ExitCode);
        Assert.Contains("The BudgetTier \"broken-tier\" is invalid", rejected.StandardError, StringComparison.Ordinal);
        Assert.Contains("spec.minReplicas: Invalid value", rejected.StandardError, StringComparison.Ordinal);
        Assert.Contains("minReplicas must not be greater than maxReplicas", rejected.StandardError, StringComparison.Ordinal);
        Assert.Contains("spec.modelRef.name: Required value", rejected.StandardError, StringComparison.Ordinal);
    }
}
