namespace Nestor.Serving.Engine;

/// <summary>How the next token is drawn. Temperature 0 is greedy.</summary>
public sealed record SamplingParams
{
    public double Temperature { get; init; } = 1.0;

    public double TopP { get; init; } = 1.0;

    /// <summary>0 or less: no top-k cut.</summary>
    public int TopK { get; init; }

    /// <summary>The random stream's seed: the same seed gives the same tokens.</summary>
    public long Seed { get; init; }
}
