using System.Globalization;
using System.Text.Json;
using k8s.Models;
using Nestor.Api;

namespace Nestor.Operator.Tests.Controllers;

/// <summary>
/// Plays the Job and Deployment controllers and the kubelet, which the local API server does not run:
/// creates pods with the labels those controllers give, and writes the statuses they would write.
/// </summary>
public static class Kubelet
{
    /// <summary>A finished pod of a Job, with the termination message its container left.</summary>
    public static async Task<V1Pod> FinishJobPodAsync(OperatorFixture fx, V1Job job, bool succeeded, string message, int index = 0)
    {
        var labels = new Dictionary<string, string>(job.Spec.Template.Metadata.Labels ?? new Dictionary<string, string>())
        {
            ["job-name"] = job.Metadata.Name,
            ["batch.kubernetes.io/job-name"] = job.Metadata.Name,
        };
        var pod = await fx.CreateAsync(new V1Pod
        {
            Metadata = new V1ObjectMeta
            {
                Name = $"{job.Metadata.Name}-{index}-{Guid.NewGuid().ToString("N")[..5]}",
                Labels = labels,
                Annotations = new Dictionary<string, string> { ["batch.kubernetes.io/job-completion-index"] = index.ToString(CultureInfo.InvariantCulture) },
            },
            Spec = job.Spec.Template.Spec,
        });
        var exitCode = succeeded ? 0 : 1;
        var status = new
        {
            status = new
            {
                phase = succeeded ? "Succeeded" : "Failed",
                containerStatuses = new[]
                {
                    new
                    {
                        name = job.Spec.Template.Spec.Containers[0].Name,
                        image = job.Spec.Template.Spec.Containers[0].Image,
                        imageID = "",
                        ready = false,
                        restartCount = 0,
                        state = new { terminated = new { exitCode, reason = succeeded ? "Completed" : "Error", message } },
                    },
                },
            },
        };
        return await fx.PatchAsync<V1Pod>(pod.Metadata.Name, JsonSerializer.Serialize(status), "status");
    }

    public static Task<V1Job> SetJobStatusAsync(OperatorFixture fx, string job, string conditionType, int active = 0, int succeeded = 0, int failed = 0, string? message = null)
    {
        var now = DateTime.UtcNow.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture);
        object? conditions = conditionType == "Running"
            ? Array.Empty<object>()
            : new[] { new { type = conditionType, status = "True", reason = conditionType == "Failed" ? "BackoffLimitExceeded" : conditionType, message = message ?? "", lastTransitionTime = now } };
        var patch = new { status = new { active, succeeded, failed, startTime = now, completionTime = conditionType == "Complete" ? now : null, conditions } };
        return fx.PatchAsync<V1Job>(job, JsonSerializer.Serialize(patch), "status");
    }

    /// <summary>Writes a Deployment's status as its controller would once the pods of its current template are ready.</summary>
    public static Task<V1Deployment> RollOutAsync(OperatorFixture fx, V1Deployment deployment, int ready)
    {
        var replicas = deployment.Spec.Replicas ?? 1;
        var patch = new
        {
            status = new
            {
                observedGeneration = deployment.Metadata.Generation,
                replicas,
                readyReplicas = ready,
                availableReplicas = ready,
                updatedReplicas = replicas,
            },
        };
        return fx.PatchAsync<V1Deployment>(deployment.Metadata.Name, JsonSerializer.Serialize(patch), "status");
    }

    /// <summary>A ready runtime pod of a tier whose /metrics the operator scrapes at ip:port.</summary>
    public static async Task<V1Pod> ReadyRuntimePodAsync(OperatorFixture fx, V1Deployment deployment, string ip, int port)
    {
        var template = deployment.Spec.Template;
        var spec = template.Spec;
        spec.Containers[0].Ports = [new V1ContainerPort { Name = "http", ContainerPort = port }];
        var pod = await fx.CreateAsync(new V1Pod
        {
            Metadata = new V1ObjectMeta
            {
                Name = $"{deployment.Metadata.Name}-{Guid.NewGuid().ToString("N")[..8]}",
                Labels = new Dictionary<string, string>(template.Metadata.Labels),
                Annotations = new Dictionary<string, string>(template.Metadata.Annotations),
            },
            Spec = spec,
        });
        var now = DateTime.UtcNow.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture);
        var status = new
        {
            status = new
            {
                phase = "Running",
                podIP = ip,
                conditions = new[] { new { type = "Ready", status = "True", lastTransitionTime = now } },
            },
        };
        return await fx.PatchAsync<V1Pod>(pod.Metadata.Name, JsonSerializer.Serialize(status), "status");
    }

    public static string Result(string model, string digest, params string[] budgets) =>
        JsonSerializer.Serialize(new
        {
            path = $"checkpoints/{model}/sha256-{digest[7..]}",
            digest,
            budgets = budgets.Select((b, i) => new { name = b, @params = 1000 - (100 * i), bytes = 4000 - (400 * i) }),
        });

    public static string Digest(char c) => "sha256:" + new string(c, 64);

    public static string TierOf(V1Pod pod) => pod.Metadata.Labels[NestorLabels.Tier];
}
