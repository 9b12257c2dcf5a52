using System.Text;
using System.Text.Json.Nodes;
using Nestor.Api.Manifests;
using Nestor.Charts.Tests.Support;
using Nestor.Testing;

namespace Nestor.Charts.Tests.ArgoHealth;

/// <summary>
/// The Argo CD health checks (deploy/argocd/health/*.lua) run by the real Lua 5.1 interpreter, the way
/// Argo CD runs them: a global <c>obj</c> holding the object, the script's return value the health.
/// </summary>
public sealed class ArgoHealthTests
{
    private static readonly string[] Kinds = ["ElasticModel", "BudgetTier", "CompressionRun"];

    [LuaTheory]
    [InlineData("elasticmodel-new", "Progressing", "observe the model")]
    [InlineData("elasticmodel-generation-changed", "Progressing", "generation 2")]
    [InlineData("elasticmodel-loading", "Progressing", "waiting for CompressionRun tiny-elastify")]
    [InlineData("elasticmodel-healthy", "Healthy", "sha256-0a1b2c3d4e5f, tiers ready 3/3")]
    [InlineData("elasticmodel-degraded", "Degraded", "checkpoint lacks budget b25")]
    [InlineData("budgettier-generation-changed", "Progressing", "generation 5")]
    [InlineData("budgettier-scaling-up", "Progressing", "ReplicasNotReady")]
    [InlineData("budgettier-healthy", "Healthy", "3/3 replicas ready")]
    [InlineData("budgettier-degraded", "Degraded", "budget b25 is not in checkpoint")]
    [InlineData("compressionrun-generation-changed", "Progressing", "generation 2")]
    [InlineData("compressionrun-running", "Progressing", "TrainingStage1: step 40/180")]
    [InlineData("compressionrun-succeeded", "Healthy", "Published sha256:0a1b2c3d")]
    [InlineData("compressionrun-failed", "Degraded", "trainer failed 3 times")]
    [InlineData("compressionrun-suspended", "Suspended", "suspended at step 60/180")]
    public async Task TheHealthCheckJudgesTheFixture(string fixture, string status, string message)
    {
        var obj = YamlToJson.Parse(await File.ReadAllTextAsync(Path.Combine(AppContext.BaseDirectory, "ArgoHealth", "Fixtures", fixture + ".yaml")));
        var kind = (string)obj["kind"]!;
        var (actualStatus, actualMessage) = await RunAsync(ScriptPath(kind), obj);
        Assert.Equal(status, actualStatus);
        Assert.Contains(message, actualMessage, StringComparison.Ordinal);
    }

    [LuaTheory]
    [InlineData("ElasticModel")]
    [InlineData("BudgetTier")]
    [InlineData("CompressionRun")]
    public async Task AnObjectWithoutStatusOrConditionsIsProgressingNotAnError(string kind)
    {
        var bare = new JsonObject { ["apiVersion"] = "nestor.dev/v1alpha1", ["kind"] = kind, ["metadata"] = new JsonObject { ["name"] = "x" } };
        Assert.Equal("Progressing", (await RunAsync(ScriptPath(kind), bare)).Status);

        var emptyStatus = (JsonObject)bare.DeepClone();
        emptyStatus["metadata"]!["generation"] = 1;
        emptyStatus["status"] = new JsonObject { ["observedGeneration"] = 1 };
        Assert.Equal("Progressing", (await RunAsync(ScriptPath(kind), emptyStatus)).Status);
    }

    [Fact]
    public void EveryFixtureIsAValidObjectOfItsKind()
    {
        var fixtures = Directory.GetFiles(Path.Combine(AppContext.BaseDirectory, "ArgoHealth", "Fixtures"), "*.yaml");
        Assert.Equal(14, fixtures.Length);
        foreach (var file in fixtures)
        {
            var unknown = StrictTypes.UnknownFields(YamlToJson.Parse(File.ReadAllText(file), file).AsObject(), out _);
            Assert.True(unknown.Count == 0, $"{Path.GetFileName(file)}: fields unknown to the nestor.dev types: {string.Join(", ", unknown)}");
        }
    }

    [Fact]
    public void TheArgoCdConfigMapSnippetCarriesExactlyTheScripts()
    {
        var configMap = YamlToJson.Parse(File.ReadAllText(RepoPaths.Combine("deploy", "argocd", "argocd-cm-health.yaml"))).AsObject();
        Assert.Equal("ConfigMap", (string?)configMap["kind"]);
        Assert.Equal("argocd-cm", (string?)configMap["metadata"]!["name"]);
        var data = configMap["data"]!.AsObject();
        Assert.Equal(Kinds.Select(k => $"resource.customizations.health.nestor.dev_{k}").Order(), data.Select(p => p.Key).Order());
        foreach (var kind in Kinds)
        {
            Assert.True(File.ReadAllText(ScriptPath(kind)) == (string?)data[$"resource.customizations.health.nestor.dev_{kind}"],
                $"deploy/argocd/argocd-cm-health.yaml differs from {ScriptPath(kind)}: run `make argocd-cm`");
        }
    }

    private static string ScriptPath(string kind) => RepoPaths.Combine("deploy", "argocd", "health", kind.ToLowerInvariant() + ".lua");

    private static async Task<(string Status, string Message)> RunAsync(string script, JsonNode obj)
    {
        var lua = Tools.Require(Tools.Lua, Tools.LuaMissing);
        var harness = new StringBuilder()
            .Append("obj = ").AppendLine(LuaLiteral.From(obj))
            .AppendLine("local hs = (function()")
            .AppendLine(await File.ReadAllTextAsync(script))
            .AppendLine("end)()")
            .AppendLine("assert(type(hs) == 'table', 'the script returned no table')")
            .AppendLine("io.write(tostring(hs.status), '\\n', tostring(hs.message), '\\n')")
            .ToString();
        var file = Path.Combine(Path.GetTempPath(), $"nestor-argo-health-{Guid.NewGuid():N}.lua");
        await File.WriteAllTextAsync(file, harness);
        try
        {
            var result = await ProcessRunner.RunAsync(lua, [file], timeout: TimeSpan.FromSeconds(30));
            Assert.True(result.ExitCode == 0, $"lua5.1 failed on {script}:\n{result.Combined}");
            var lines = result.StandardOutput.Split('\n');
            return (lines[0], lines.Length > 1 ? lines[1] : "");
        }
        finally
        {
            File.Delete(file);
        }
    }
}
