using k8s.Models;
using Nestor.Api;
using Nestor.Api.V1Alpha1;

namespace Nestor.Operator.Controllers.ElasticModels;

/// <summary>The weight PersistentVolumeClaim made from spec.weightVolume.claimTemplate: &lt;model&gt;-weights.</summary>
public static class WeightClaimBuilder
{
    public static string ClaimName(ElasticModel model) => model.Spec.WeightVolume.ClaimName ?? $"{model.Metadata.Name}-weights";

    public static V1PersistentVolumeClaim Build(ElasticModel model, ClaimTemplate template) => new()
    {
        Metadata = new V1ObjectMeta
        {
            Name = ClaimName(model),
            NamespaceProperty = model.Metadata.NamespaceProperty,
            Labels = new Dictionary<string, string>
            {
                [NestorLabels.Model] = model.Metadata.Name,
                ["app.kubernetes.io/managed-by"] = "nestor-operator",
            },
        },
        Spec = new V1PersistentVolumeClaimSpec
        {
            AccessModes = [.. template.AccessModes.Select(m => m.ToString())],
            StorageClassName = template.StorageClassName,
            Resources = new V1VolumeResourceRequirements
            {
                Requests = new Dictionary<string, ResourceQuantity> { ["storage"] = template.Size },
            },
        },
    };
}
