using k8s.Models;
using Nestor.Api.V1Alpha1;
using Nestor.Operator.Core.Helpers;

namespace Nestor.Operator.Tests.Controllers;

public static class ModelSteps
{
    /// <summary>Creates a model and plays its loader Job to success with the given digest and budgets.</summary>
    public static async Task<ElasticModel> ReadyModelAsync(OperatorFixture fx, string name, string digest, params string[] budgets)
    {
        await fx.CreateAsync(Objects.Model(name));
        return await CompleteLoadAsync(fx, name, digest, budgets);
    }

    /// <summary>Plays the model's current loader Job to success; returns the model once it serves the digest.</summary>
    public static async Task<ElasticModel> CompleteLoadAsync(OperatorFixture fx, string name, string digest, params string[] budgets)
    {
        var model = await fx.WaitAsync<ElasticModel>(name, m => m.Status?.LoaderJobName is not null
            && Conditions.Find(m.Status.Conditions, ElasticModelConditions.WeightsReady)?.Reason == "Loading");
        var job = await fx.GetRequiredAsync<V1Job>(model.Status!.LoaderJobName!);
        await Kubelet.FinishJobPodAsync(fx, job, succeeded: true, Kubelet.Result(name, digest, budgets));
        await Kubelet.SetJobStatusAsync(fx, job.Metadata.Name, "Complete", succeeded: 1);
        return await fx.WaitAsync<ElasticModel>(name, m => m.Status?.Checkpoint?.Digest == digest
            && Conditions.IsTrue(m.Status.Conditions, ElasticModelConditions.WeightsReady));
    }
}
