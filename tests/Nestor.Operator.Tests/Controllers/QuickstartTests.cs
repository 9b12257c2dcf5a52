using System.Text.Json.Nodes;
using k8s;
using k8s.Models;
using Nestor.Api.Manifests;
using Nestor.Api.V1Alpha1;
using Nestor.Operator.Core.Helpers;
using Nestor.Operator.Core.Kube;
using Nestor.Testing;

namespace Nestor.Operator.Tests.Controllers;

/// <summary>examples/quickstart as shipped, reconciled end to end: trainer Job, result, loader, one Deployment per tier.</summary>
public sealed class QuickstartTests
{
    [Fact]
    public async Task TheQuickstartManifestsTrainLoadAndServeEveryTier()
    {
        await using var fx = await OperatorFixture.StartAsync();
        foreach (var file in Directory.GetFiles(RepoPaths.Combine("examples", "quickstart"), "*.yaml").Order(StringComparer.Ordinal))
        {
            foreach (var document in YamlToJson.ParseDocuments(await File.ReadAllTextAsync(file), file))
            {
                await CreateAsync(fx, document);
            }
        }

        var job = await fx.WaitAsync<V1Job>("tiny-elastify-train", _ => true);
        Assert.Contains("/weights/checkpoints/tiny-elastic", job.Spec.Template.Spec.Containers[0].Args);
        Assert.Equal("nestor-weights", job.Spec.Template.Spec.Volumes.Single(v => v.PersistentVolumeClaim is not null).PersistentVolumeClaim.ClaimName);
        var tiers = new[] { "tiny-full", "tiny-b75", "tiny-b50" };
        foreach (var tier in tiers)
        {
            await fx.WaitAsync<BudgetTier>(tier, t => Conditions.Find(t.Status?.Conditions, BudgetTierConditions.Ready)?.Reason == "WaitingForWeights");
        }

        var digest = Kubelet.Digest('e');
        await Kubelet.FinishJobPodAsync(fx, job, succeeded: true, Kubelet.Result("tiny-elastic", digest, "full", "b75", "b50"));
        await Kubelet.SetJobStatusAsync(fx, job.Metadata.Name, "Complete", succeeded: 1);
        await fx.WaitAsync<CompressionRun>("tiny-elastify", r => r.Status?.Phase == CompressionRunPhase.Succeeded);
        await ModelSteps.CompleteLoadAsync(fx, "tiny-elastic", digest, "full", "b75", "b50");

        foreach (var tier in tiers)
        {
            var budget = tier["tiny-".Length..];
            var deployment = await fx.WaitAsync<V1Deployment>(tier, _ => true);
            var args = deployment.Spec.Template.Spec.Containers[0].Args;
            Assert.Equal(budget, args[args.IndexOf("--load-only") + 1]);
            Assert.Equal("512Mi", deployment.Spec.Template.Spec.Containers[0].Resources.Requests["memory"].ToString());
            await fx.WaitAsync<V1Service>(tier, _ => true);
        }

        var model = await fx.WaitAsync<ElasticModel>("tiny-elastic", m => m.Status?.Tiers?.Count == 3);
        Assert.Equal("0/3", model.Status!.ReadyTiers);
        Assert.Equal("compressionrun/tiny-elastify", model.Status.Checkpoint!.Source);
    }

    private static async Task CreateAsync(OperatorFixture fx, JsonNode document)
    {
        var json = document.ToJsonString();
        switch (document["kind"]?.GetValue<string>())
        {
            case "PersistentVolumeClaim":
                await fx.CreateAsync(KubernetesJson.Deserialize<V1PersistentVolumeClaim>(json));
                break;
            case "CompressionRun":
                await fx.CreateAsync(KubernetesJson.Deserialize<CompressionRun>(json));
                break;
            case "ElasticModel":
                await fx.CreateAsync(KubernetesJson.Deserialize<ElasticModel>(json));
                break;
            case "BudgetTier":
                await fx.CreateAsync(KubernetesJson.Deserialize<BudgetTier>(json));
                break;
            case var other:
                throw new InvalidOperationException($"unexpected kind {other} in the quickstart");
        }
    }
}
