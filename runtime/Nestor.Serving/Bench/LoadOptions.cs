namespace Nestor.Serving.Bench;

/// <summary>What <see cref="LoadGenerator"/> sends.</summary>
public sealed record LoadOptions
{
    public required Uri Url { get; init; }

    /// <summary>Closed loop: this many requests in flight at all times (ignored when <see cref="Rate"/> is set).</summary>
    public int Concurrency { get; init; } = 1;

    /// <summary>Open loop: requests per second, Poisson arrivals, whatever the server's pace.</summary>
    public double? Rate { get; init; }

    public int Requests { get; init; } = 64;

    /// <summary>Prompt length in tokens (sent as token ids), drawn uniformly from the range.</summary>
    public (int Min, int Max) PromptTokens { get; init; } = (32, 64);

    /// <summary>max_tokens of each request, drawn uniformly from the range (EOS ignored, so exactly that many).</summary>
    public (int Min, int Max) OutputTokens { get; init; } = (64, 64);

    /// <summary>Budgets and their weights in the mix; empty: the server's default.</summary>
    public IReadOnlyList<(string Budget, double Weight)> Budgets { get; init; } = [];

    public int Seed { get; init; } = 1;
}
