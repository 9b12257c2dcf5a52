using Nestor.Api.V1Alpha1;

namespace Nestor.Api;

/// <summary>The custom resource types of nestor.dev, in the order the generator and the docs list them.</summary>
public static class NestorKinds
{
    public static IReadOnlyList<Type> All { get; } = [typeof(ElasticModel), typeof(BudgetTier), typeof(CompressionRun)];
}
