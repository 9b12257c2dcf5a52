using System.Text.Json.Nodes;
using Nestor.Api.Crds;
using Nestor.Api.Tests.Support;

namespace Nestor.Api.Tests;

/// <summary>
/// Bad manifests are rejected with the field path and the reason, as the API server would reject
/// them: each case breaks one rule of a valid example and expects exactly that error.
/// </summary>
public sealed class ValidationTests
{
    private static readonly Lazy<IReadOnlyList<ManifestDocument>> Quickstart = new(() => ManifestFiles.Load("examples/quickstart"));
    private static readonly Lazy<Dictionary<string, SchemaValidator>> Validators = new(() =>
        CrdBuilder.BuildAll().ToDictionary(
            c => c.Kind,
            c => new SchemaValidator(c.Definition["spec"]!["versions"]![0]!["schema"]!["openAPIV3Schema"]!.AsObject())));

    public static TheoryData<string, string, string, string> Cases() => new()
    {
        // kind, mutation, expected path, expected text
        { "BudgetTier", "remove spec.modelRef", "spec.modelRef", "Required value" },
        { "BudgetTier", "set spec.budget \"B75\"", "spec.budget", "should match" },
        { "BudgetTier", "set spec.replicas 2", "spec.replicas", "replicas must be unset while autoscaling is enabled" },
        { "BudgetTier", "set spec.minReplicas 5", "spec.minReplicas", "minReplicas must not be greater than maxReplicas" },
        { "BudgetTier", "remove spec.maxReplicas", "spec.maxReplicas", "maxReplicas is required while autoscaling is enabled" },
        { "BudgetTier", "set spec.minReplicas 0", "spec.minReplicas", "should be greater than or equal to 1" },
        { "BudgetTier", "set spec.autoscaling.onMissingMetrics \"Panic\"", "spec.autoscaling.onMissingMetrics", "Unsupported value: \"Panic\"" },
        { "BudgetTier", "set spec.autoscaling.maxScaleUpStep 0", "spec.autoscaling.maxScaleUpStep", "should be greater than or equal to 1" },
        { "BudgetTier", "set spec.autoscaling.metricsSource {\"type\":\"Prometheus\"}", "spec.autoscaling.metricsSource.prometheus", "required when metricsSource.type is Prometheus" },
        { "BudgetTier", "set spec.service {\"port\":70000}", "spec.service.port", "should be less than or equal to 65535" },
        { "BudgetTier", "set spec.degradeTo \"full\"", "spec.degradeTo", "degradeTo must name a budget other than budget" },
        { "BudgetTier", "set spec.replica 2", "spec.replica", "unknown field \"replica\"" },
        { "BudgetTier", "set spec.autoscaling.targetTtftP95Ms \"fast\"", "spec.autoscaling.targetTtftP95Ms", "must be of type integer" },
        { "BudgetTier", "set metadata.name \"9-tier\"", "metadata.name", "should match" },
        { "BudgetTier", "set spec.tolerations [{\"key\":\"a\",\"operator\":\"Exists\",\"bogus\":1}]", "spec.tolerations[0].bogus", "unknown field" },
        { "BudgetTier", "set spec.resources {\"limits\":{\"memory\":\"lots\"}}", "spec.resources.limits.memory", "should match" },
        { "ElasticModel", "set spec.source.checkpoint {\"path\":\"models/x\"}", "spec.source", "exactly one of checkpoint, uri, compressionRunRef" },
        { "ElasticModel", "remove spec.source.compressionRunRef", "spec.source", "exactly one of checkpoint, uri, compressionRunRef" },
        { "ElasticModel", "set spec.weightVolume.claimTemplate {\"size\":\"1Gi\"}", "spec.weightVolume", "exactly one of claimName, claimTemplate" },
        { "ElasticModel", "set spec.budgets [\"full\",\"full\"]", "spec.budgets[1]", "Duplicate value" },
        { "ElasticModel", "set spec.source {\"uri\":{\"url\":\"ftp://models/x\"}}", "spec.source.uri.url", "should match" },
        { "ElasticModel", "set spec.source {\"checkpoint\":{\"path\":\"checkpoints/../../etc\"}}", "spec.source.checkpoint", "must not contain '..' segments" },
        { "ElasticModel", "set spec.source {\"checkpoint\":{\"path\":\"/abs/path\"}}", "spec.source.checkpoint.path", "should match" },
        { "ElasticModel", "set spec.source {\"checkpoint\":{\"path\":\"c/x\",\"digest\":\"sha256:abc\"}}", "spec.source.checkpoint.digest", "should match" },
        { "ElasticModel", "set metadata.name \"a-model-name-that-is-far-too-long-for-the-volume-paths\"", "metadata.name", "Too many" },
        { "CompressionRun", "set spec.budgets[1].targetParams 1000", "spec.budgets[1]", "exactly one of targetParams, targetFraction" },
        { "CompressionRun", "set spec.budgets[1].targetFraction 1.5", "spec.budgets[1].targetFraction", "should be less than or equal to 1" },
        { "CompressionRun", "set spec.budgets[2].targetFraction 0", "spec.budgets[2].targetFraction", "should be greater than 0" },
        { "CompressionRun", "set spec.budgets[2].name \"full\"", "spec.budgets[2]", "Duplicate value" },
        { "CompressionRun", "set spec.curriculum.stages[1].budgetWeights [0.5,0.5]", "spec.curriculum.stages", "one weight per entry of budgets" },
        { "CompressionRun", "set spec.curriculum.stages[1].budgetWeights [0,0,0]", "spec.curriculum.stages[1].budgetWeights", "at least one positive weight" },
        { "CompressionRun", "set spec.router.temperatureEnd 2", "spec.router.temperatureEnd", "temperatureEnd must not be greater than temperatureStart" },
        { "CompressionRun", "set spec.distillation {\"klWeight\":0}", "spec.distillation", "klWeight and ceWeight must not both be 0" },
        { "CompressionRun", "set spec.dataset.format \"Text\"", "spec.dataset.format", "format applies to volume and uri data only" },
        { "CompressionRun", "set spec.dataset.volume {\"path\":\"d.jsonl\"}", "spec.dataset", "exactly one of builtin, volume, uri" },
        { "CompressionRun", "set spec.output.volume {\"claimName\":\"w\",\"path\":\"c\"}", "spec.output", "exactly one of elasticModelRef, volume" },
        { "CompressionRun", "set spec.resources.nodes 4", "spec.resources.nodes", "the built-in trainer is single-node" },
        { "CompressionRun", "set spec.budgets []", "spec.budgets", "must have at least 1 items" },
        { "CompressionRun", "set spec.suspend \"yes\"", "spec.suspend", "must be of type boolean" },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void BadManifestIsRejectedWithItsFieldPath(string kind, string mutation, string path, string text)
    {
        var obj = Example(kind);
        Apply(obj, mutation);
        var errors = Validator(kind).Validate(obj);
        Assert.True(errors.Any(e => e.StartsWith(path + ":", StringComparison.Ordinal) && e.Contains(text, StringComparison.Ordinal)),
            $"expected \"{path}: ...{text}...\" after `{mutation}`, got:\n{string.Join("\n", errors)}");
    }

    public static TheoryData<string, string, string?> Updates() => new()
    {
        // kind, mutation, expected error text (null: accepted)
        { "CompressionRun", "set spec.suspend true", null },
        { "CompressionRun", "set spec.backoffLimit 5", null },
        { "CompressionRun", "set spec.resources.requests.cpu \"4\"", null },
        { "CompressionRun", "set spec.budgets[1].targetFraction 0.7", "budgets cannot change once the run exists" },
        { "CompressionRun", "set spec.parentModel.checkpoint.path \"models/other\"", "parentModel cannot change once the run exists" },
        { "CompressionRun", "set spec.curriculum.stages[0].steps 10", "curriculum cannot change once the run exists" },
        { "CompressionRun", "set spec.output.elasticModelRef.name \"other\"", "output cannot change once the run exists" },
        { "CompressionRun", "remove spec.importance", "cannot be added or removed once the run exists" },
        { "ElasticModel", "set spec.weightVolume.claimName \"other\"", "weightVolume is immutable" },
        { "ElasticModel", "set spec.budgets [\"full\",\"b50\"]", null },
        { "BudgetTier", "set spec.budget \"b50\"", null },
        { "BudgetTier", "set spec.autoscaling.enabled false", null },
    };

    [Theory]
    [MemberData(nameof(Updates))]
    public void UpdatesFollowTheTransitionRules(string kind, string mutation, string? error)
    {
        var old = Example(kind);
        var updated = Example(kind);
        Apply(updated, mutation);
        var errors = Validator(kind).Validate(updated, old);
        if (error is null)
        {
            Assert.True(errors.Count == 0, $"`{mutation}` should be accepted, got:\n{string.Join("\n", errors)}");
        }
        else
        {
            Assert.True(errors.Any(e => e.Contains(error, StringComparison.Ordinal)), $"`{mutation}`: expected \"{error}\", got:\n{string.Join("\n", errors)}");
            Assert.Empty(Validator(kind).Validate(updated));
        }
    }

    [Fact]
    public void TurningAutoscalingOffHandsReplicasBackToSpec()
    {
        var tier = Example("BudgetTier");
        Apply(tier, "set spec.autoscaling.enabled false");
        Apply(tier, "set spec.replicas 2");
        Assert.Empty(Validator("BudgetTier").Validate(tier));
    }

    [Fact]
    public void ServerDefaultsFillAnAbsentAutoscalingBlockOnlyWhenPresent()
    {
        var tier = Example("BudgetTier");
        Apply(tier, "set spec.autoscaling {}");
        var defaulted = Validator("BudgetTier").WithDefaults(tier);
        Assert.Equal(true, (bool?)defaulted["spec"]!["autoscaling"]!["enabled"]);
        Assert.Equal("Pods", (string?)defaulted["spec"]!["autoscaling"]!["metricsSource"]!["type"]);

        Apply(tier, "remove spec.autoscaling");
        var manual = Validator("BudgetTier").WithDefaults(tier);
        Assert.Null(manual["spec"]!["autoscaling"]);
        Assert.Null(manual["spec"]!["replicas"]);
    }

    private static JsonObject Example(string kind) =>
        JsonNode.Parse(Quickstart.Value.First(d => d.Kind == kind).Json.ToJsonString())!.AsObject();

    private static SchemaValidator Validator(string kind) => Validators.Value[kind];

    /// <summary>"set a.b[1].c JSON" or "remove a.b" on a JSON object (missing parents are created).</summary>
    private static void Apply(JsonObject obj, string mutation)
    {
        var parts = mutation.Split(' ', 3);
        var segments = parts[1].Split('.');
        JsonNode parent = obj;
        for (var i = 0; i < segments.Length - 1; i++)
        {
            parent = Step(parent, segments[i], create: true)!;
        }

        var last = segments[^1];
        if (parts[0] == "remove")
        {
            parent.AsObject().Remove(last);
            return;
        }

        var value = JsonNode.Parse(parts[2]);
        var bracket = last.IndexOf('[', StringComparison.Ordinal);
        if (bracket < 0)
        {
            parent.AsObject()[last] = value;
        }
        else
        {
            var array = parent[last[..bracket]]!.AsArray();
            array[int.Parse(last[(bracket + 1)..^1], System.Globalization.CultureInfo.InvariantCulture)] = value;
        }
    }

    private static JsonNode? Step(JsonNode node, string segment, bool create)
    {
        var bracket = segment.IndexOf('[', StringComparison.Ordinal);
        var name = bracket < 0 ? segment : segment[..bracket];
        if (node[name] is null && create)
        {
            node.AsObject()[name] = new JsonObject();
        }

        var child = node[name];
        return bracket < 0 ? child : child![int.Parse(segment[(bracket + 1)..^1], System.Globalization.CultureInfo.InvariantCulture)];
    }
}
