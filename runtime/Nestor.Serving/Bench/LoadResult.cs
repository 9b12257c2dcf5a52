namespace Nestor.Serving.Bench;

/// <summary>Latency percentiles in milliseconds.</summary>
public sealed record Percentiles(double P50, double P95, double P99)
{
    public static Percentiles Of(IReadOnlyList<double> values)
    {
        if (values.Count == 0)
        {
            return new Percentiles(double.NaN, double.NaN, double.NaN);
        }

        var sorted = values.Order().ToArray();
        double At(double q) => sorted[Math.Clamp((int)Math.Ceiling(q * sorted.Length) - 1, 0, sorted.Length - 1)];
        return new Percentiles(At(0.50), At(0.95), At(0.99));
    }
}

/// <summary>Figures of one budget (or of all, as "all").</summary>
public sealed record BudgetLoad(
    string Budget,
    int Requests,
    int Errors,
    long OutputTokens,
    double RequestsPerSecond,
    double TokensPerSecond,
    Percentiles TtftMs,
    Percentiles InterTokenMs,
    Percentiles EndToEndMs);

public sealed record LoadResult(string Mode, double Seconds, BudgetLoad All, IReadOnlyList<BudgetLoad> Budgets);
