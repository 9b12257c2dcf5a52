using k8s.Models;
using Nestor.Api.V1Alpha1;

namespace Nestor.Operator.Controllers.BudgetTiers;

/// <summary>The tier's Service, named like the tier, selecting its ready pods.</summary>
public static class TierServiceBuilder
{
    public static V1Service Build(BudgetTier tier)
    {
        var spec = tier.Spec.Service ?? new TierServiceSpec();
        return new V1Service
        {
            Metadata = new V1ObjectMeta
            {
                Name = tier.Metadata.Name,
                NamespaceProperty = tier.Metadata.NamespaceProperty,
                Labels = TierDeploymentBuilder.PodLabels(tier),
                Annotations = spec.Annotations is null ? null : new Dictionary<string, string>(spec.Annotations),
            },
            Spec = new V1ServiceSpec
            {
                Type = spec.Type.ToString(),
                Selector = TierDeploymentBuilder.SelectorLabels(tier),
                Ports = [new V1ServicePort { Name = "http", Port = spec.Port, TargetPort = "http", Protocol = "TCP" }],
            },
        };
    }

    public static string Endpoint(BudgetTier tier) =>
        $"http://{tier.Metadata.Name}.{tier.Metadata.NamespaceProperty}.svc:{(tier.Spec.Service ?? new TierServiceSpec()).Port}/v1";
}
