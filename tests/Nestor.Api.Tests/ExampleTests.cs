using System.Text.Json;
using System.Text.Json.Nodes;
using k8s;
using Nestor.Api.Crds;
using Nestor.Api.Tests.Support;
using Nestor.Api.V1Alpha1;

namespace Nestor.Api.Tests;

/// <summary>Every manifest in examples/ reads into its C# type with no unknown field and passes the generated schema, CEL included.</summary>
public sealed class ExampleTests
{
    private static readonly Lazy<IReadOnlyList<ManifestDocument>> All = new(() => ManifestFiles.Load("examples"));

    private static readonly Lazy<Dictionary<string, SchemaValidator>> Validators = new(() =>
        CrdBuilder.BuildAll().ToDictionary(
            c => c.Kind,
            c => new SchemaValidator(c.Definition["spec"]!["versions"]![0]!["schema"]!["openAPIV3Schema"]!.AsObject())));

    public static TheoryData<string> Documents() => [.. All.Value.Select(d => d.ToString())];

    [Theory]
    [MemberData(nameof(Documents))]
    public void ReadsStrictlyIntoItsType(string id)
    {
        var document = Find(id);
        var type = ManifestFiles.TypeOf(document.ApiVersion, document.Kind);
        Assert.True(type is not null, $"{id}: no C# type for {document.ApiVersion} {document.Kind}");

        // KubernetesClient's YAML reader in strict mode rejects unknown fields (JSON is YAML).
        var json = document.Json.ToJsonString();
        var viaYaml = typeof(KubernetesYaml).GetMethod(nameof(KubernetesYaml.Deserialize), [typeof(string), typeof(bool)])!
            .MakeGenericMethod(type).Invoke(null, [json, true]);
        Assert.NotNull(viaYaml);

        // The path the operator uses: System.Text.Json with KubernetesClient's options. Nothing may be lost.
        var viaJson = typeof(KubernetesJson).GetMethod(nameof(KubernetesJson.Deserialize), [typeof(string), typeof(JsonSerializerOptions)])!
            .MakeGenericMethod(type).Invoke(null, [json, null]);
        var differences = JsonFidelity.Differences(document.Json, JsonNode.Parse(KubernetesJson.Serialize(viaJson)));
        Assert.True(differences.Count == 0, $"{id}:\n{string.Join("\n", differences)}");
    }

    [Theory]
    [MemberData(nameof(Documents))]
    public void NestorKindsPassTheGeneratedSchema(string id)
    {
        var document = Find(id);
        if (document.ApiVersion != NestorApi.GroupVersion)
        {
            return;
        }

        var errors = Validators.Value[document.Kind].Validate(document.Json);
        Assert.True(errors.Count == 0, $"{id}:\n{string.Join("\n", errors)}");

        // An update that changes nothing passes the transition rules too.
        Assert.Empty(Validators.Value[document.Kind].Validate(document.Json, old: document.Json));
    }

    [Theory]
    [InlineData("examples/quickstart", 3)]
    [InlineData("examples/gpu-12b", 3)]
    public void ExampleIsOneConsistentDeployment(string folder, int tiers)
    {
        var documents = All.Value.Where(d => d.File.StartsWith(folder + "/", StringComparison.Ordinal)).ToList();
        var runs = Typed<CompressionRun>(documents);
        var models = Typed<ElasticModel>(documents);
        var tierObjects = Typed<BudgetTier>(documents);
        var run = Assert.Single(runs);
        var model = Assert.Single(models);
        Assert.Equal(tiers, tierObjects.Count);

        // The run writes onto the model's volume; the model serves the run's result.
        Assert.Equal(model.Metadata.Name, run.Spec.Output.ElasticModelRef?.Name);
        Assert.Equal(run.Metadata.Name, model.Spec.Source.CompressionRunRef?.Name);

        // The model expects exactly the budgets the run trains, in the same order (largest first).
        var trained = run.Spec.Budgets.Select(b => b.Name).ToList();
        Assert.Equal(trained, model.Spec.Budgets);
        foreach (var stage in run.Spec.Curriculum?.Stages ?? [])
        {
            Assert.True(stage.BudgetWeights is null || stage.BudgetWeights.Count == trained.Count, $"{run.Metadata.Name} stage {stage.Name}");
        }

        // Every tier serves a budget of its model; degradeTo names a smaller budget of the same model.
        Assert.Equal(trained.Order(), tierObjects.Select(t => t.Spec.Budget).Order());
        foreach (var tier in tierObjects)
        {
            Assert.Equal(model.Metadata.Name, tier.Spec.ModelRef.Name);
            if (tier.Spec.DegradeTo is { } smaller)
            {
                Assert.True(trained.IndexOf(smaller) > trained.IndexOf(tier.Spec.Budget), $"{tier.Metadata.Name} degrades to {smaller}, not smaller");
            }
        }

        // A named claim must be part of the example.
        if (model.Spec.WeightVolume.ClaimName is { } claim)
        {
            Assert.Contains(documents, d => d.Kind == "PersistentVolumeClaim" && d.Name == claim);
        }
    }

    private static ManifestDocument Find(string id) => All.Value.Single(d => d.ToString() == id);

    private static List<T> Typed<T>(IEnumerable<ManifestDocument> documents)
        where T : class =>
        [.. documents.Where(d => ManifestFiles.TypeOf(d.ApiVersion, d.Kind) == typeof(T)).Select(d => KubernetesJson.Deserialize<T>(d.Json.ToJsonString(), null))];
}
