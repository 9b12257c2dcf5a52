namespace Nestor.Api;

/// <summary>
/// Labels and annotations Nestor puts on the objects it creates, so that selectors, dashboards,
/// Argo CD and kubectl agree on them.
/// </summary>
public static class NestorLabels
{
    /// <summary>The ElasticModel an object belongs to.</summary>
    public const string Model = NestorApi.Group + "/model";

    /// <summary>The BudgetTier a runtime pod belongs to; the tier's status.selector is <c>nestor.dev/tier=&lt;name&gt;</c>.</summary>
    public const string Tier = NestorApi.Group + "/tier";

    /// <summary>The budget a runtime pod serves.</summary>
    public const string Budget = NestorApi.Group + "/budget";

    /// <summary>The CompressionRun a trainer Job or pod belongs to.</summary>
    public const string CompressionRun = NestorApi.Group + "/compression-run";

    /// <summary>Pod-template annotation holding the checkpoint digest; a new digest rolls the pods.</summary>
    public const string CheckpointDigestAnnotation = NestorApi.Group + "/checkpoint-digest";

    /// <summary>The standard component label value of runtime pods.</summary>
    public const string RuntimeComponent = "nestor-runtime";

    /// <summary>The selector string of a tier's pods, as written to status.selector for the scale subresource.</summary>
    public static string TierSelector(string tierName) => $"{Tier}={tierName}";
}
