using k8s;
using k8s.Models;
using Nestor.Operator.Core.Events;
using Nestor.Operator.Core.Kube;

namespace Nestor.Local.Controllers.Common;

/// <summary>Deletes an owner's pods (by uid, so a replacement of the same name is spared), expecting each deletion and recording an Event.</summary>
public static class PodDeletion
{
    private static readonly ResourceType PodType = ResourceType.For<V1Pod>();

    public static async Task DeleteAsync(KubeApiClient api, Expectations expectations, EventRecorder events,
        IKubernetesObject<V1ObjectMeta> owner, IReadOnlyList<V1Pod> victims, CancellationToken cancellationToken)
    {
        var key = ObjectKey.Of(owner);
        foreach (var pod in victims)
        {
            expectations.ExpectDeletion(key, pod.Metadata.Uid);
            try
            {
                if (await api.DeleteAsync(PodType, pod.Metadata.NamespaceProperty, pod.Metadata.Name, cancellationToken, uid: pod.Metadata.Uid))
                {
                    events.Record(owner, EventRecorder.Normal, "SuccessfulDelete", $"Deleted pod: {pod.Metadata.Name}");
                }
                else
                {
                    expectations.DeletionObserved(key, pod.Metadata.Uid);
                }
            }
            catch (KubeApiException)
            {
                expectations.DeletionObserved(key, pod.Metadata.Uid);
                throw;
            }
        }
    }
}
