namespace Nestor.Operator.Autoscaling;

/// <summary>Cumulative histogram buckets (upper bound → count) of one series at one time.</summary>
public sealed record HistogramSnapshot(DateTimeOffset At, IReadOnlyDictionary<double, double> Buckets)
{
    /// <summary>The buckets of <paramref name="metric"/>_bucket for one budget, summed over the samples given.</summary>
    public static HistogramSnapshot? From(IEnumerable<MetricSample> samples, string metric, string budget, DateTimeOffset at)
    {
        var buckets = new Dictionary<double, double>();
        foreach (var s in samples)
        {
            if (s.Name == metric + "_bucket" && s.Label("budget") == budget && s.Label("le") is { } le)
            {
                var bound = le == "+Inf" ? double.PositiveInfinity : double.Parse(le, System.Globalization.CultureInfo.InvariantCulture);
                buckets[bound] = buckets.GetValueOrDefault(bound) + s.Value;
            }
        }

        return buckets.Count == 0 ? null : new HistogramSnapshot(at, buckets);
    }
}

/// <summary>
/// The quantile of the observations a histogram gained over a window (Prometheus' histogram_quantile
/// of an increase): bucket counts are differenced between the newest snapshot and the oldest inside
/// the window, then interpolated linearly inside the bucket that holds the rank.
/// </summary>
public static class HistogramWindow
{
    public static IReadOnlyDictionary<double, double>? Increase(IReadOnlyList<HistogramSnapshot> history, DateTimeOffset now, TimeSpan window)
    {
        if (history.Count < 2)
        {
            return null;
        }

        var latest = history[^1];
        var oldest = history.FirstOrDefault(h => now - h.At <= window && h != latest);
        if (oldest is null)
        {
            return null;
        }

        var increase = new Dictionary<double, double>();
        foreach (var (bound, count) in latest.Buckets)
        {
            // A counter reset (the pod restarted) shows as a decrease: count from zero.
            var before = oldest.Buckets.GetValueOrDefault(bound);
            increase[bound] = count >= before ? count - before : count;
        }

        return increase;
    }

    /// <summary>The q-quantile of cumulative bucket counts, or null with no observation.</summary>
    public static double? Quantile(double q, IReadOnlyDictionary<double, double>? buckets)
    {
        if (buckets is null || buckets.Count == 0)
        {
            return null;
        }

        var sorted = buckets.OrderBy(b => b.Key).ToList();
        var total = sorted[^1].Value;
        if (total <= 0)
        {
            return null;
        }

        var rank = q * total;
        var previousBound = 0.0;
        var previousCount = 0.0;
        foreach (var (bound, count) in sorted)
        {
            if (count >= rank)
            {
                if (double.IsPositiveInfinity(bound))
                {
                    return previousBound; // as Prometheus: the highest finite bound
                }

                var inBucket = count - previousCount;
                return inBucket <= 0 ? bound : previousBound + ((bound - previousBound) * (rank - previousCount) / inBucket);
            }

            previousBound = bound;
            previousCount = count;
        }

        return previousBound;
    }
}
