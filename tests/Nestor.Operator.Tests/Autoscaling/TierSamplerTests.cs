using k8s.Models;
using Nestor.Api;
using Nestor.Operator.Autoscaling;

namespace Nestor.Operator.Tests.Autoscaling;

public sealed class TierSamplerTests
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 29, 12, 0, 0, TimeSpan.Zero);

    private static PodScrape Scrape(string tier, string uid, string? text) => new(
        new V1Pod { Metadata = new V1ObjectMeta { Name = uid, Uid = uid, Labels = new Dictionary<string, string> { [NestorLabels.Tier] = tier } } },
        text is null ? null : PrometheusText.Parse(text), text is null ? "connection refused" : null);

    [Fact]
    public void OwnPodsCountEvenBeforeTheirFirstRequestAndOtherPodsOnlyWhenTheyServeTheBudget()
    {
        var sampler = new TierSampler();
        var sample = sampler.Sample("small", "b50", [
            Scrape("small", "own-idle", "nestor_requests_waiting{budget=\"full\"} 9\n"),
            Scrape("small", "own-busy", "nestor_requests_waiting{budget=\"b50\"} 3\nnestor_requests_running{budget=\"b50\"} 2\n"),
            Scrape("full", "other-full-only", "nestor_requests_waiting{budget=\"full\"} 7\n"),
            Scrape("full", "borrowed", "nestor_requests_waiting{budget=\"b50\"} 4\nnestor_requests_waiting{budget=\"full\"} 1\n"),
            Scrape("small", "down", null),
        ], T0, TimeSpan.FromSeconds(60));
        Assert.Equal(3, sample.PodsSampled); // own-idle, own-busy, borrowed
        Assert.Equal(7, sample.Waiting);
        Assert.Equal(2, sample.Running);
        Assert.Null(sample.TtftP95);
    }

    [Fact]
    public void AtZeroOnlyABorrowedPodWithDemandIsSeen()
    {
        var sample = new TierSampler().Sample("small", "b50", [Scrape("full", "borrowed", "nestor_requests_waiting{budget=\"b50\"} 1\n")],
            T0, TimeSpan.FromSeconds(60));
        Assert.Equal(1, sample.PodsSampled);
        Assert.Equal(1, sample.Load);
        var decision = Autoscaler.Decide(ScaleState.Initial(0), [sample], new AutoscalingPolicy { MaxReplicas = 4, AllowScaleToZero = true }, T0);
        Assert.Equal(ScaleReasons.Activated, decision.Reason);
        Assert.Equal(1, decision.Replicas);
    }

    [Fact]
    public void LatencyIsThePercentileOfTheWindowsIncreaseSummedOverPods()
    {
        static string Buckets(double fast, double slow) =>
            $"nestor_time_to_first_token_seconds_bucket{{budget=\"b50\",le=\"0.1\"}} {fast}\n" +
            $"nestor_time_to_first_token_seconds_bucket{{budget=\"b50\",le=\"1\"}} {fast + slow}\n" +
            $"nestor_time_to_first_token_seconds_bucket{{budget=\"b50\",le=\"+Inf\"}} {fast + slow}\n";
        var sampler = new TierSampler();
        sampler.Sample("small", "b50", [Scrape("small", "a", Buckets(1000, 0)), Scrape("small", "b", Buckets(0, 0))], T0, TimeSpan.FromSeconds(60));
        // In the window: pod a served 10 fast requests, pod b 90 slow ones (0.1 s to 1 s).
        var sample = sampler.Sample("small", "b50", [Scrape("small", "a", Buckets(1010, 0)), Scrape("small", "b", Buckets(0, 90))],
            T0.AddSeconds(10), TimeSpan.FromSeconds(60));
        Assert.NotNull(sample.TtftP95);
        Assert.InRange(sample.TtftP95!.Value.TotalSeconds, 0.9, 1.0); // 95th of 100: the 85th of the 90 slow ones
    }
}
