using Nestor.Operator.Autoscaling;

namespace Nestor.Operator.Tests.Autoscaling;

public sealed class PrometheusTextTests
{
    [Fact]
    public void ParsesSeriesLabelsEscapesSpecialValuesAndTimestamps()
    {
        var samples = PrometheusText.Parse("""
            # HELP nestor_requests_waiting Requests waiting.
            # TYPE nestor_requests_waiting gauge
            nestor_requests_waiting{budget="b50"} 3
            nestor_requests_running{budget="full",note="a \"quoted\" \\ back\nslash"} 2.5 1700000000000
            nestor_ttft_bucket{budget="full",le="+Inf"} +Inf
            up NaN
            process_start_time_seconds 1.7e9
            """);
        Assert.Equal(5, samples.Count);
        Assert.Equal(("nestor_requests_waiting", "b50", 3.0), (samples[0].Name, samples[0].Label("budget"), samples[0].Value));
        Assert.Equal("a \"quoted\" \\ back\nslash", samples[1].Label("note"));
        Assert.Equal(2.5, samples[1].Value);
        Assert.True(double.IsPositiveInfinity(samples[2].Value));
        Assert.True(double.IsNaN(samples[3].Value));
        Assert.Equal(1.7e9, samples[4].Value);
    }

    [Theory]
    [InlineData("nestor_x{budget=\"a\" 1", "line 1")]
    [InlineData("nestor_x{budget=a} 1", "quoted value")]
    [InlineData("nestor_x abc", "not a number")]
    [InlineData("{budget=\"a\"} 1", "metric name")]
    public void AMalformedLineIsAnErrorNamingTheLine(string text, string expected)
    {
        var error = Assert.Throws<FormatException>(() => PrometheusText.Parse(text));
        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void TheP95OfAWindowComesFromTheBucketIncrease()
    {
        var t0 = DateTimeOffset.UnixEpoch;
        var before = new HistogramSnapshot(t0, new Dictionary<double, double> { [0.1] = 100, [0.5] = 100, [double.PositiveInfinity] = 100 });
        var after = new HistogramSnapshot(t0.AddSeconds(30), new Dictionary<double, double> { [0.1] = 100, [0.5] = 200, [double.PositiveInfinity] = 200 });
        var increase = HistogramWindow.Increase([before, after], t0.AddSeconds(30), TimeSpan.FromSeconds(60));
        // All 100 new observations lie in (0.1, 0.5]: p95 interpolates to 0.1 + 0.4 * 0.95.
        Assert.Equal(0.48, HistogramWindow.Quantile(0.95, increase)!.Value, 3);
        Assert.Null(HistogramWindow.Quantile(0.95, HistogramWindow.Increase([after, after], t0.AddSeconds(30), TimeSpan.FromSeconds(60))));
    }
}
