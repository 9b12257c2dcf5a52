using Nestor.Serving.Engine;

namespace Nestor.Serving.Scheduling;

/// <summary>A validated request as the scheduler takes it.</summary>
public sealed record GenerationRequest
{
    public required string Budget { get; init; }

    public required IReadOnlyList<long> Prompt { get; init; }

    public required int MaxTokens { get; init; }

    public required SamplingParams Sampling { get; init; }

    public IReadOnlyList<string> Stop { get; init; } = [];

    public bool IgnoreEos { get; init; }

    /// <summary>Serve a smaller budget when the requested one's wait would pass <see cref="MaxWait"/>.</summary>
    public bool AllowDegrade { get; init; }

    public TimeSpan MaxWait { get; init; } = TimeSpan.FromSeconds(1);
}
