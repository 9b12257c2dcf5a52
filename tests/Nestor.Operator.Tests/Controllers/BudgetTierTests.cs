using k8s.Models;
using Nestor.Api;
using Nestor.Api.V1Alpha1;
using Nestor.Operator.Core.Helpers;

namespace Nestor.Operator.Tests.Controllers;

public sealed class BudgetTierTests
{
    [Fact]
    public async Task ABudgetTheCheckpointLacksGivesAConditionAndNoPods()
    {
        await using var fx = await OperatorFixture.StartAsync();
        await ModelSteps.ReadyModelAsync(fx, "tiny", Kubelet.Digest('a'), "full", "b50");
        await fx.CreateAsync(Objects.Tier("tiny-b25", "tiny", "b25", replicas: 1));

        var tier = await fx.WaitAsync<BudgetTier>("tiny-b25", t => Conditions.Find(t.Status?.Conditions, BudgetTierConditions.Ready)?.Reason == "BudgetNotFound");
        var ready = Conditions.Find(tier.Status!.Conditions, BudgetTierConditions.Ready)!;
        Assert.Equal(Conditions.False, ready.Status);
        Assert.Equal("budget \"b25\" is not in checkpoint aaaaaaaaaaaa of ElasticModel tiny, which holds: full, b50", ready.Message);
        Assert.Null(await fx.GetAsync<V1Deployment>("tiny-b25"));
        Assert.Equal(0, tier.Status.DesiredReplicas);

        // Fixing the budget brings the pods.
        await fx.PatchAsync<BudgetTier>("tiny-b25", """{"spec":{"budget":"b50"}}""");
        var deployment = await fx.WaitAsync<V1Deployment>("tiny-b25", _ => true);
        Assert.Contains("b50", deployment.Spec.Template.Spec.Containers[0].Args);

        // A Deployment of the tier's name that it does not control blocks it until it is gone.
        await fx.CreateAsync(new V1Deployment
        {
            Metadata = new V1ObjectMeta { Name = "taken" },
            Spec = new V1DeploymentSpec
            {
                Selector = new V1LabelSelector { MatchLabels = new Dictionary<string, string> { ["app"] = "other" } },
                Template = new V1PodTemplateSpec
                {
                    Metadata = new V1ObjectMeta { Labels = new Dictionary<string, string> { ["app"] = "other" } },
                    Spec = new V1PodSpec { Containers = [new V1Container { Name = "other", Image = "other:1" }] },
                },
            },
        });
        await fx.CreateAsync(Objects.Tier("taken", "tiny", "full", replicas: 1));
        await fx.WaitAsync<BudgetTier>("taken", t => Conditions.Find(t.Status?.Conditions, BudgetTierConditions.Ready)?.Reason == "DeploymentConflict");
        await fx.DeleteAsync<V1Deployment>("taken");
        await fx.WaitAsync<V1Deployment>("taken", d => d.Metadata.OwnerReferences?.Any(r => r.Kind == "BudgetTier") == true);

        // A tier of a model that does not exist waits with a reason.
        await fx.CreateAsync(Objects.Tier("orphan", "nope", "full", replicas: 1));
        tier = await fx.WaitAsync<BudgetTier>("orphan", t => Conditions.Find(t.Status?.Conditions, BudgetTierConditions.Ready)?.Reason == "ModelNotFound");
        Assert.Null(await fx.GetAsync<V1Deployment>("orphan"));
    }

    [Fact]
    public async Task ANewDigestRollsTheTierAndAConvergedTierMakesNoWrites()
    {
        await using var fx = await OperatorFixture.StartAsync();
        var first = Kubelet.Digest('a');
        var second = Kubelet.Digest('b');
        await ModelSteps.ReadyModelAsync(fx, "tiny", first, "full", "b50");
        await fx.CreateAsync(Objects.Tier("tiny-b50", "tiny", "b50", replicas: 2));
        var deployment = await fx.WaitAsync<V1Deployment>("tiny-b50", _ => true);
        await Kubelet.RollOutAsync(fx, deployment, ready: 2);
        await fx.WaitAsync<BudgetTier>("tiny-b50", t => Conditions.IsTrue(t.Status?.Conditions, BudgetTierConditions.Ready) && t.Status!.CheckpointDigest == first);
        await fx.WaitAsync<ElasticModel>("tiny", m => m.Status?.ReadyTiers == "1/1");

        // Converged: nothing is written while nothing changes.
        await Task.Delay(500);
        fx.Server.Requests.Reset();
        await Task.Delay(2000);
        Assert.Equal(0, fx.Server.Requests.Writes);

        await fx.PatchAsync<ElasticModel>("tiny", """{"spec":{"source":{"checkpoint":{"path":"imports/tiny-v2"}}}}""");
        await ModelSteps.CompleteLoadAsync(fx, "tiny", second, "full", "b50");
        deployment = await fx.WaitAsync<V1Deployment>("tiny-b50", d => d.Spec.Template.Metadata.Annotations[NestorLabels.CheckpointDigestAnnotation] == second);
        Assert.Contains($"/weights/checkpoints/tiny/sha256-{new string('b', 64)}", deployment.Spec.Template.Spec.Containers[0].Args);
        var tier = await fx.WaitAsync<BudgetTier>("tiny-b50", t => t.Status?.CheckpointDigest == second);
        Assert.Equal("RollingOut", Conditions.Find(tier.Status!.Conditions, BudgetTierConditions.Ready)?.Reason);
        await Kubelet.RollOutAsync(fx, deployment, ready: 2);
        await fx.WaitAsync<BudgetTier>("tiny-b50", t => Conditions.IsTrue(t.Status?.Conditions, BudgetTierConditions.Ready));
    }
}
