using k8s.Models;
using Nestor.Api;
using Nestor.Api.V1Alpha1;
using Nestor.Operator.Core.Helpers;

namespace Nestor.Operator.Tests.Controllers;

public sealed class ElasticModelLifeTests
{
    [Fact]
    public async Task AModelGetsAClaimALoaderJobAndServesItsTiersUntilDeleted()
    {
        await using var fx = await OperatorFixture.StartAsync();
        var digest = Kubelet.Digest('a');
        await fx.CreateAsync(Objects.Model("tiny", budgets: ["full", "b50"]));

        var claim = await fx.WaitAsync<V1PersistentVolumeClaim>("tiny-weights", _ => true);
        Assert.Equal("1Gi", claim.Spec.Resources.Requests["storage"].ToString());
        Assert.Null(claim.Metadata.OwnerReferences); // reclaimPolicy Retain
        var model = await fx.WaitAsync<ElasticModel>("tiny", m => m.Status?.LoaderJobName is not null);
        Assert.Equal("Loading", Conditions.Find(model.Status!.Conditions, ElasticModelConditions.WeightsReady)?.Reason);

        var job = await fx.GetRequiredAsync<V1Job>(model.Status.LoaderJobName!);
        var loader = job.Spec.Template.Spec.Containers[0];
        Assert.Equal(["fetch", "--source", "/weights/imports/tiny", "--dest-root", "/weights", "--model", "tiny", "--termination-log", "/dev/termination-log"], loader.Args);
        Assert.Equal("FallbackToLogsOnError", loader.TerminationMessagePolicy);
        Assert.True(loader.SecurityContext.ReadOnlyRootFilesystem);
        Assert.True(job.Metadata.OwnerReferences.Single().Controller);

        await Kubelet.FinishJobPodAsync(fx, job, succeeded: true, Kubelet.Result("tiny", digest, "full", "b50"));
        await Kubelet.SetJobStatusAsync(fx, job.Metadata.Name, "Complete", succeeded: 1);
        model = await fx.WaitAsync<ElasticModel>("tiny", m => Conditions.IsTrue(m.Status?.Conditions, ElasticModelConditions.WeightsReady));
        Assert.Equal(digest, model.Status!.Checkpoint!.Digest);
        Assert.Equal($"checkpoints/tiny/sha256-{new string('a', 64)}", model.Status.Checkpoint.Path);
        Assert.Equal(["full", "b50"], model.Status.Budgets!.Select(b => b.Name));
        Assert.Equal("aaaaaaaaaaaa", model.Status.DigestShort);
        Assert.Equal("tiny-weights", model.Status.ClaimName);
        Assert.Equal("NoTiers", Conditions.Find(model.Status.Conditions, ElasticModelConditions.Ready)?.Reason);

        await fx.CreateAsync(Objects.Tier("tiny-full", "tiny", "full", replicas: 2));
        var deployment = await fx.WaitAsync<V1Deployment>("tiny-full", _ => true);
        var pod = deployment.Spec.Template.Spec;
        var serve = pod.Containers[0];
        Assert.Equal(["nestor"], serve.Command);
        Assert.Equal(["serve", "--checkpoint", $"/weights/{model.Status.Checkpoint.Path}", "--budgets", "full", "--default-budget", "full", "--load-only", "full",
            "--host", "$(POD_IP)", "--port", "8000"], serve.Args);
        Assert.Equal("status.podIP", serve.Env.Single(e => e.Name == "POD_IP").ValueFrom.FieldRef.FieldPath);
        Assert.True(serve.VolumeMounts.Single(m => m.MountPath == "/weights").ReadOnlyProperty);
        Assert.True(pod.Volumes.Single(v => v.Name == "weights").PersistentVolumeClaim.ReadOnlyProperty);
        Assert.Equal("/readyz", serve.ReadinessProbe.HttpGet.Path);
        Assert.Equal("/healthz", serve.LivenessProbe.HttpGet.Path);
        Assert.NotNull(serve.Lifecycle.PreStop.Sleep);
        Assert.Equal(120, pod.TerminationGracePeriodSeconds);
        Assert.True(pod.SecurityContext.RunAsNonRoot);
        Assert.True(serve.SecurityContext.ReadOnlyRootFilesystem);
        Assert.Equal("1", serve.Resources.Limits["nvidia.com/gpu"].ToString());
        Assert.Equal("NVIDIA-H100", pod.NodeSelector["nvidia.com/gpu.product"]);
        Assert.Equal(digest, deployment.Spec.Template.Metadata.Annotations[NestorLabels.CheckpointDigestAnnotation]);
        Assert.Equal(2, deployment.Spec.Replicas);
        var service = await fx.WaitAsync<V1Service>("tiny-full", _ => true);
        Assert.Equal("tiny-full", service.Spec.Selector[NestorLabels.Tier]);

        await Kubelet.RollOutAsync(fx, deployment, ready: 2);
        var tier = await fx.WaitAsync<BudgetTier>("tiny-full", t => Conditions.IsTrue(t.Status?.Conditions, BudgetTierConditions.Ready));
        Assert.Equal(2, tier.Status!.ReadyReplicas);
        Assert.Equal(2, tier.Status.DesiredReplicas);
        Assert.Equal("nestor.dev/tier=tiny-full", tier.Status.Selector);
        Assert.Equal("tiny@full", tier.Status.ServedModel);
        Assert.Equal("http://tiny-full.nestor-test.svc:8000/v1", tier.Status.Endpoint);
        Assert.Equal(1000, tier.Status.Params);
        model = await fx.WaitAsync<ElasticModel>("tiny", m => m.Status?.ReadyTiers == "1/1" && Conditions.IsTrue(m.Status.Conditions, ElasticModelConditions.Ready));
        Assert.Equal(2, model.Status!.Tiers!.Single().ReadyReplicas);

        // Fixed size: spec.replicas sizes the Deployment.
        await fx.PatchAsync<BudgetTier>("tiny-full", """{"spec":{"replicas":3}}""");
        await fx.WaitAsync<V1Deployment>("tiny-full", d => d.Spec.Replicas == 3);

        await fx.DeleteAsync<BudgetTier>("tiny-full");
        await fx.WaitGoneAsync<V1Deployment>("tiny-full");
        await fx.WaitGoneAsync<V1Service>("tiny-full");
        await fx.WaitAsync<ElasticModel>("tiny", m => m.Status?.ReadyTiers == "0/0");

        await fx.DeleteAsync<ElasticModel>("tiny");
        await fx.WaitGoneAsync<V1Job>(job.Metadata.Name);
        Assert.NotNull(await fx.GetAsync<V1PersistentVolumeClaim>("tiny-weights")); // Retain keeps the weights
    }

    [Fact]
    public async Task ALoadThatFailsOrLacksABudgetIsNotServedAndSaysWhy()
    {
        await using var fx = await OperatorFixture.StartAsync();
        await fx.CreateAsync(Objects.Model("bad", budgets: ["full", "b25"]));
        var model = await fx.WaitAsync<ElasticModel>("bad", m => m.Status?.LoaderJobName is not null);
        var job = await fx.GetRequiredAsync<V1Job>(model.Status!.LoaderJobName!);
        await Kubelet.FinishJobPodAsync(fx, job, succeeded: true, Kubelet.Result("bad", Kubelet.Digest('b'), "full", "b50"));
        await Kubelet.SetJobStatusAsync(fx, job.Metadata.Name, "Complete", succeeded: 1);
        model = await fx.WaitAsync<ElasticModel>("bad", m => Conditions.Find(m.Status?.Conditions, ElasticModelConditions.WeightsReady)?.Reason == "MissingBudgets");
        Assert.Contains("b25", Conditions.Find(model.Status!.Conditions, ElasticModelConditions.WeightsReady)!.Message, StringComparison.Ordinal);
        Assert.Null(model.Status.Checkpoint);

        // A new source: the old loader is removed, the new one fails with the pod's message.
        await fx.PatchAsync<ElasticModel>("bad", """{"spec":{"source":{"checkpoint":{"path":"imports/other"}}}}""");
        model = await fx.WaitAsync<ElasticModel>("bad", m => m.Status?.LoaderJobName is { } n && n != job.Metadata.Name);
        await fx.WaitGoneAsync<V1Job>(job.Metadata.Name);
        var second = await fx.GetRequiredAsync<V1Job>(model.Status!.LoaderJobName!);
        await Kubelet.FinishJobPodAsync(fx, second, succeeded: false, "error: /weights/imports/other/config.json: missing field hidden_size");
        await Kubelet.SetJobStatusAsync(fx, second.Metadata.Name, "Failed", failed: 4, message: "Job has reached the specified backoff limit");
        // The Job's failure and the pod's message arrive through separate watches; the pod's update brings the
        // message in with the next reconcile.
        model = await fx.WaitAsync<ElasticModel>("bad", m => Conditions.Find(m.Status?.Conditions, ElasticModelConditions.WeightsReady) is { Reason: "LoadFailed" } c &&
            c.Message.Contains("missing field hidden_size", StringComparison.Ordinal));
        var message = Conditions.Find(model.Status!.Conditions, ElasticModelConditions.WeightsReady)!.Message;
        Assert.Contains("backoff limit", message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ADeleteClaimGoesWithItsModelAndANamedClaimMustExist()
    {
        await using var fx = await OperatorFixture.StartAsync();
        var owned = Objects.Model("owned");
        owned.Spec.WeightVolume.ClaimTemplate!.ReclaimPolicy = ClaimReclaimPolicy.Delete;
        await fx.CreateAsync(owned);
        var claim = await fx.WaitAsync<V1PersistentVolumeClaim>("owned-weights", _ => true);
        Assert.True(claim.Metadata.OwnerReferences.Single().Controller);
        await fx.DeleteAsync<ElasticModel>("owned");
        await fx.WaitGoneAsync<V1PersistentVolumeClaim>("owned-weights");

        var named = Objects.Model("named");
        named.Spec.WeightVolume = new WeightVolume { ClaimName = "shared-weights" };
        await fx.CreateAsync(named);
        var model = await fx.WaitAsync<ElasticModel>("named", m => Conditions.Find(m.Status?.Conditions, ElasticModelConditions.WeightsReady)?.Reason == "ClaimNotFound");
        Assert.Contains("shared-weights", Conditions.Find(model.Status!.Conditions, ElasticModelConditions.WeightsReady)!.Message, StringComparison.Ordinal);
        Assert.Null(model.Status.LoaderJobName);

        await fx.CreateAsync(new V1PersistentVolumeClaim
        {
            Metadata = new V1ObjectMeta { Name = "shared-weights" },
            Spec = new V1PersistentVolumeClaimSpec
            {
                AccessModes = ["ReadWriteMany"],
                Resources = new V1VolumeResourceRequirements { Requests = new Dictionary<string, ResourceQuantity> { ["storage"] = new("1Gi") } },
            },
        });
        model = await fx.WaitAsync<ElasticModel>("named", m => m.Status?.LoaderJobName is not null);
        var job = await fx.GetRequiredAsync<V1Job>(model.Status!.LoaderJobName!);
        Assert.Equal("shared-weights", job.Spec.Template.Spec.Volumes.Single(v => v.PersistentVolumeClaim is not null).PersistentVolumeClaim.ClaimName);
    }
}
