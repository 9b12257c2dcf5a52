using System.Globalization;
using k8s.Models;
using Nestor.Local.Controllers.Common;

namespace Nestor.Local.Controllers.Jobs;

/// <summary>The pods a Job makes: its template plus the tracking finalizer and, for Indexed Jobs, the completion index.</summary>
public static class JobPods
{
    public const string TrackingFinalizer = "batch.kubernetes.io/job-tracking";
    public const string CompletionIndexAnnotation = "batch.kubernetes.io/job-completion-index";
    public const string CompletionIndexEnv = "JOB_COMPLETION_INDEX";

    public static bool IsIndexed(V1Job job) => job.Spec.CompletionMode == "Indexed";

    /// <summary>The pod's completion index, or null when it has none (or a malformed one).</summary>
    public static int? Index(V1Pod pod) =>
        pod.Metadata.Annotations?.TryGetValue(CompletionIndexAnnotation, out var text) == true
        && int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var index) ? index : null;

    public static V1Pod Build(V1Job job, int? index)
    {
        var prefix = index is { } i ? $"{job.Metadata.Name}-{i.ToString(CultureInfo.InvariantCulture)}" : job.Metadata.Name;
        var pod = PodFactory.FromTemplate(job.Spec.Template, job, PodNames.GeneratePrefix(prefix));
        pod.Metadata.Finalizers = [.. pod.Metadata.Finalizers ?? [], TrackingFinalizer];
        if (index is { } ix)
        {
            var text = ix.ToString(CultureInfo.InvariantCulture);
            pod.Metadata.Annotations ??= new Dictionary<string, string>();
            pod.Metadata.Annotations[CompletionIndexAnnotation] = text;
            pod.Metadata.Labels[CompletionIndexAnnotation] = text;
            pod.Spec.Hostname = $"{job.Metadata.Name}-{text}";
            foreach (var container in (pod.Spec.InitContainers ?? []).Concat(pod.Spec.Containers))
            {
                if (container.Env?.Any(e => e.Name == CompletionIndexEnv) == true)
                {
                    continue;
                }

                container.Env = [.. container.Env ?? [], new V1EnvVar
                {
                    Name = CompletionIndexEnv,
                    ValueFrom = new V1EnvVarSource
                    {
                        FieldRef = new V1ObjectFieldSelector { ApiVersion = "v1", FieldPath = $"metadata.annotations['{CompletionIndexAnnotation}']" },
                    },
                }];
            }
        }

        return pod;
    }
}
