using System.Text.Json.Nodes;
using k8s.Models;
using Nestor.Api;
using Nestor.Api.V1Alpha1;
using Nestor.Operator.Core.Helpers;

namespace Nestor.Operator.Tests.Controllers;

public sealed class CompressionRunTests
{
    [Fact]
    public async Task ARunTrainsSuspendsResumesAndItsResultIsServedByTheModel()
    {
        await using var fx = await OperatorFixture.StartAsync();
        await fx.CreateAsync(Objects.Model("tiny", runName: "elastify"));
        var model = await fx.WaitAsync<ElasticModel>("tiny", m => Conditions.Find(m.Status?.Conditions, ElasticModelConditions.WeightsReady)?.Reason == "WaitingForCompressionRun");
        Assert.Null(model.Status!.LoaderJobName);

        await fx.CreateAsync(Objects.Run("elastify", "tiny"));
        var config = await fx.WaitAsync<V1ConfigMap>("elastify-config", _ => true);
        var json = JsonNode.Parse(config.Data["config.json"])!;
        Assert.Equal("b50", json["budgets"]![1]!["name"]!.GetValue<string>());
        Assert.Equal("/weights", json["volumes"]!["tiny-weights"]!.GetValue<string>());

        var job = await fx.WaitAsync<V1Job>("elastify-train", _ => true);
        var trainer = job.Spec.Template.Spec.Containers[0];
        Assert.Equal(["elastify", "--config", "/etc/nestor/config.json", "--output", "/weights/checkpoints/tiny", "--work-dir", "/weights/runs/nestor-test.elastify",
            "--termination-log", "/dev/termination-log", "--volume", "tiny-weights=/weights"], trainer.Args);
        Assert.Equal("8", trainer.Resources.Limits["nvidia.com/gpu"].ToString());
        Assert.Equal("gpu", job.Metadata.Labels["kueue.x-k8s.io/queue-name"]);
        Assert.Equal("FallbackToLogsOnError", trainer.TerminationMessagePolicy);
        Assert.Equal("/weights/runs/nestor-test.elastify", trainer.Env.Single(e => e.Name == "NESTOR_WORK_DIR").Value);

        await Kubelet.SetJobStatusAsync(fx, "elastify-train", "Running", active: 1);
        var run = await fx.WaitAsync<CompressionRun>("elastify", r => Conditions.IsTrue(r.Status?.Conditions, CompressionRunConditions.Running));
        Assert.Equal(CompressionRunPhase.EstimatingImportance, run.Status!.Phase);

        await fx.PatchAsync<CompressionRun>("elastify", """{"spec":{"suspend":true}}""");
        await fx.WaitAsync<V1Job>("elastify-train", j => j.Spec.Suspend == true);
        await Kubelet.SetJobStatusAsync(fx, "elastify-train", "Suspended");
        run = await fx.WaitAsync<CompressionRun>("elastify", r => r.Status?.Phase == CompressionRunPhase.Suspended);
        Assert.True(Conditions.IsTrue(run.Status!.Conditions, CompressionRunConditions.Suspended));
        await fx.PatchAsync<CompressionRun>("elastify", """{"spec":{"suspend":false}}""");
        await fx.WaitAsync<V1Job>("elastify-train", j => j.Spec.Suspend == false);
        await Kubelet.SetJobStatusAsync(fx, "elastify-train", "Running", active: 1, failed: 1);
        run = await fx.WaitAsync<CompressionRun>("elastify", r => r.Status?.Phase == CompressionRunPhase.EstimatingImportance);
        Assert.Contains("resuming from the last checkpoint", Conditions.Find(run.Status!.Conditions, CompressionRunConditions.Running)!.Message, StringComparison.Ordinal);

        var digest = Kubelet.Digest('c');
        job = await fx.GetRequiredAsync<V1Job>("elastify-train");
        await Kubelet.FinishJobPodAsync(fx, job, succeeded: true, "{\"path\":\"/weights/checkpoints/tiny/sha256-" + new string('c', 64) + "\",\"digest\":\"" + digest
            + "\",\"budgets\":[{\"name\":\"full\",\"params\":1000,\"accuracy\":0.9},{\"name\":\"b50\",\"params\":500,\"accuracy\":0.8}]}");
        await Kubelet.SetJobStatusAsync(fx, "elastify-train", "Complete", succeeded: 1);
        run = await fx.WaitAsync<CompressionRun>("elastify", r => r.Status?.Phase == CompressionRunPhase.Succeeded);
        Assert.Equal(digest, run.Status!.Result!.Digest);
        Assert.Equal($"checkpoints/tiny/sha256-{new string('c', 64)}", run.Status.Result.CheckpointPath);
        Assert.Equal("tiny-weights", run.Status.Result.ClaimName);
        Assert.Equal(0.8, run.Status.Result.Evaluation!["b50"].Accuracy);

        // The model verifies the result in place with its loader, then serves the new digest.
        model = await fx.WaitAsync<ElasticModel>("tiny", m => m.Status?.LoaderJobName is not null);
        var loader = await fx.GetRequiredAsync<V1Job>(model.Status!.LoaderJobName!);
        Assert.Contains($"/weights/checkpoints/tiny/sha256-{new string('c', 64)}", loader.Spec.Template.Spec.Containers[0].Args);
        Assert.Contains(digest, loader.Spec.Template.Spec.Containers[0].Args);
        model = await ModelSteps.CompleteLoadAsync(fx, "tiny", digest, "full", "b50");
        Assert.Equal("compressionrun/elastify", model.Status!.Checkpoint!.Source);

        await fx.DeleteAsync<CompressionRun>("elastify");
        await fx.WaitGoneAsync<V1Job>("elastify-train");
        await fx.WaitGoneAsync<V1ConfigMap>("elastify-config");
    }

    [Fact]
    public async Task ARunOnSeveralNodesIsAnIndexedJobWithAHeadlessServiceAndAFailureIsReported()
    {
        await using var fx = await OperatorFixture.StartAsync();
        await fx.CreateAsync(Objects.Model("big", runName: "dist"));
        await fx.WaitAsync<ElasticModel>("big", m => m.Status?.ClaimName is not null);
        await fx.CreateAsync(Objects.Run("dist", "big", nodes: 2));

        var job = await fx.WaitAsync<V1Job>("dist-train", _ => true);
        Assert.Equal("Indexed", job.Spec.CompletionMode);
        Assert.Equal(2, job.Spec.Completions);
        Assert.Equal(2, job.Spec.Parallelism);
        Assert.Equal("dist-workers", job.Spec.Template.Spec.Subdomain);
        var container = job.Spec.Template.Spec.Containers[0];
        Assert.Equal(["torchrun-nestor"], container.Command);
        Assert.Equal("example/trainer:1", container.Image);
        Assert.Equal("2", container.Env.Single(e => e.Name == "WORLD_SIZE").Value);
        Assert.Equal("metadata.annotations['batch.kubernetes.io/job-completion-index']", container.Env.Single(e => e.Name == "RANK").ValueFrom.FieldRef.FieldPath);
        Assert.Equal("dist-train-0.dist-workers", container.Env.Single(e => e.Name == "MASTER_ADDR").Value);
        var service = await fx.WaitAsync<V1Service>("dist-workers", _ => true);
        Assert.Equal("None", service.Spec.ClusterIP);
        Assert.Equal("dist", service.Spec.Selector[NestorLabels.CompressionRun]);

        await Kubelet.FinishJobPodAsync(fx, job, succeeded: false, "CUDA error: out of memory", index: 1);
        await Kubelet.SetJobStatusAsync(fx, "dist-train", "Failed", failed: 4, message: "Job has reached the specified backoff limit");
        // The Job's failure and the pod's termination message reach the operator's caches in either order: wait for both.
        var run = await fx.WaitAsync<CompressionRun>("dist", r => r.Status?.Phase == CompressionRunPhase.Failed
            && Conditions.Find(r.Status.Conditions, CompressionRunConditions.Failed)?.Message?.Contains("out of memory", StringComparison.Ordinal) == true);
        Assert.Contains("out of memory", Conditions.Find(run.Status!.Conditions, CompressionRunConditions.Failed)!.Message, StringComparison.Ordinal);
        var model = await fx.GetRequiredAsync<ElasticModel>("big");
        Assert.Equal("WaitingForCompressionRun", Conditions.Find(model.Status!.Conditions, ElasticModelConditions.WeightsReady)?.Reason);
    }
}
