using Nestor.Serving.Engine;

namespace Nestor.Serving.Api;

/// <summary>A completion or chat request after validation, before tokenisation.</summary>
internal sealed record ParsedRequest
{
    public required string Model { get; init; }

    public required string Budget { get; init; }

    /// <summary>The prompt text (chat: the rendered template), or null when given as token ids.</summary>
    public string? PromptText { get; init; }

    public IReadOnlyList<long>? PromptTokens { get; init; }

    public bool Stream { get; init; }

    public int? MaxTokens { get; init; }

    public required SamplingParams Sampling { get; init; }

    public IReadOnlyList<string> Stop { get; init; } = [];

    public bool IgnoreEos { get; init; }

    public bool AllowDegrade { get; init; }

    public TimeSpan? MaxWait { get; init; }
}
