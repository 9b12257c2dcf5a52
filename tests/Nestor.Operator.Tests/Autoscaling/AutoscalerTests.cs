using Nestor.Operator.Autoscaling;

namespace Nestor.Operator.Tests.Autoscaling;

/// <summary>
/// Table-driven checks of the decision function: a load trace (one sample per second, requests per
/// second of trace) is played against the policy, feeding each decision back as the next state.
/// </summary>
public sealed class AutoscalerTests
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 28, 12, 0, 0, TimeSpan.Zero);

    private static readonly AutoscalingPolicy Policy = new()
    {
        MinReplicas = 1,
        MaxReplicas = 10,
        TargetQueuePerReplica = 8,
        ScaleDownStabilization = TimeSpan.FromSeconds(30),
        MaxScaleUpStep = 4,
        MaxScaleDownStep = 1,
    };

    /// <summary>Plays a trace of (waiting, running) loads; null means no metrics that second.</summary>
    private static List<ScaleDecision> Play(AutoscalingPolicy policy, int start, IEnumerable<(double Waiting, double Running)?> trace,
        Func<int, TimeSpan?>? ttft = null)
    {
        var state = ScaleState.Initial(start);
        var samples = new List<TierSample>();
        var decisions = new List<ScaleDecision>();
        var second = 0;
        foreach (var load in trace)
        {
            var now = T0.AddSeconds(second);
            if (load is { } l)
            {
                samples.Add(new TierSample(now, Math.Max(1, state.Replicas), l.Waiting, l.Running, ttft?.Invoke(second)));
            }

            var decision = Autoscaler.Decide(state, samples, policy, now);
            decisions.Add(decision);
            state = decision.State;
            second++;
        }

        return decisions;
    }

    private static IEnumerable<(double, double)?> Steady(double waiting, double running, int seconds) =>
        Enumerable.Repeat<(double, double)?>((waiting, running), seconds);

    private static int Flips(IEnumerable<ScaleDecision> decisions)
    {
        var directions = decisions.Where(d => d.Changed).Select(d => d.Replicas).ToList();
        var flips = 0;
        var last = 0;
        for (var i = 1; i < directions.Count; i++)
        {
            var direction = Math.Sign(directions[i] - directions[i - 1]);
            if (direction != 0 && last != 0 && direction != last)
            {
                flips++;
            }

            if (direction != 0)
            {
                last = direction;
            }
        }

        return flips;
    }

    [Fact]
    public void ABurstScalesUpInTheFirstDecision()
    {
        var decisions = Play(Policy, 1, Steady(0, 2, 5).Concat(Steady(40, 8, 5)));
        var first = decisions[5];
        Assert.True(first.Changed);
        Assert.Equal(5, first.Replicas); // min(ceil(48/8)=6, 1 + 4)
        Assert.Equal(ScaleReasons.QueueAboveTarget, first.Reason);
        Assert.Equal(6, decisions[6].Replicas);
    }

    [Fact]
    public void UpStepsAreBoundedAndMaxIsNeverExceeded()
    {
        var decisions = Play(Policy, 1, Steady(500, 16, 10));
        Assert.Equal([5, 9, 10, 10], decisions.Take(4).Select(d => d.Replicas));
        Assert.All(decisions, d => Assert.InRange(d.Replicas, 1, 10));
    }

    [Fact]
    public void OscillatingLoadDoesNotFlap()
    {
        // 2 <-> 1 oscillation bait: the load alternates every 5 s between needing 3 and 1 replicas.
        var trace = Enumerable.Range(0, 120).Select(s => (s / 5 % 2 == 0 ? (16.0, 8.0) : (0.0, 4.0)) as (double, double)?);
        var decisions = Play(Policy, 1, trace);
        Assert.Equal(0, Flips(decisions));
        Assert.Equal(3, decisions[^1].Replicas);
    }

    [Fact]
    public void ScaleDownWaitsForTheStabilisationWindowThenStepsDownOneAtATime()
    {
        var decisions = Play(Policy, 6, Steady(0, 8, 60));
        Assert.All(decisions.Take(30), d => Assert.Equal(6, d.Replicas));
        Assert.Equal(ScaleReasons.Stabilizing, decisions[10].Reason);
        var firstDown = decisions.FindIndex(d => d.Changed);
        Assert.InRange(firstDown, 30, 31);
        Assert.Equal(5, decisions[firstDown].Replicas);
        Assert.Equal(1, decisions[^1].Replicas);
        Assert.All(decisions.Zip(decisions.Skip(1)), p => Assert.True(p.First.Replicas - p.Second.Replicas <= 1));
    }

    [Fact]
    public void AMetricsOutageHoldsTheCurrentReplicasAndNeverScalesToZero()
    {
        var zeroPolicy = Policy with { AllowScaleToZero = true, IdleBeforeZero = TimeSpan.FromSeconds(5) };
        var trace = Steady(24, 8, 10).Concat(Enumerable.Repeat<(double, double)?>(null, 120));
        var decisions = Play(zeroPolicy, 4, trace);
        Assert.All(decisions.Skip(30), d => Assert.Equal(4, d.Replicas));
        Assert.Equal(ScaleReasons.MetricsMissing, decisions[^1].Reason);
    }

    [Fact]
    public void MissingMetricsCanBeConfiguredToGoToMinOrMax()
    {
        var trace = Steady(8, 8, 2).Concat(Enumerable.Repeat<(double, double)?>(null, 30));
        Assert.Equal(1, Play(Policy with { OnMissingMetrics = MissingMetricsAction.ScaleToMin }, 4, trace)[^1].Replicas);
        Assert.Equal(10, Play(Policy with { OnMissingMetrics = MissingMetricsAction.ScaleToMax }, 4, trace)[^1].Replicas);
    }

    [Fact]
    public void ASlowRampIsFollowedWithoutOvershoot()
    {
        var trace = Enumerable.Range(0, 80).Select(s => (0.0, s * 1.0) as (double, double)?);
        var decisions = Play(Policy, 1, trace);
        Assert.Equal(0, Flips(decisions));
        for (var s = 0; s < 80; s++)
        {
            Assert.Equal(Math.Clamp((int)Math.Ceiling(s / 8.0), 1, 10), decisions[s].Replicas);
        }
    }

    [Fact]
    public void LatencyAboveTargetAddsReplicasEvenWhenTheQueueIsSmall()
    {
        var policy = Policy with { TargetTtftP95 = TimeSpan.FromMilliseconds(200) };
        var decisions = Play(policy, 2, Steady(0, 4, 3), ttft: _ => TimeSpan.FromMilliseconds(500));
        Assert.Equal(4, decisions[0].Replicas); // ceil(2 * min(2, 2.5))
        Assert.Equal(ScaleReasons.LatencyAboveTarget, decisions[0].Reason);
        Assert.Contains("time to first token", decisions[0].Message, StringComparison.Ordinal);
    }

    [Fact]
    public void LatencyOfABurstThatEndedNeitherAddsReplicasNorHoldsTheScaleDown()
    {
        // The window's p95 stays high after the burst; with nothing waiting or running it no longer counts.
        var policy = Policy with { TargetTtftP95 = TimeSpan.FromMilliseconds(200) };
        var trace = Steady(16, 8, 5).Concat(Steady(0, 0, 60));
        var decisions = Play(policy, 2, trace, ttft: _ => TimeSpan.FromMilliseconds(900));
        var peak = decisions.Take(5).Max(d => d.Replicas);
        Assert.True(peak > 2);
        Assert.All(decisions.Skip(5), d => Assert.True(d.Replicas <= peak));
        Assert.DoesNotContain(decisions.Skip(5), d => d.Reason == ScaleReasons.LatencyAboveTarget);
        var firstDown = decisions.FindIndex(5, d => d.Changed && d.Replicas < peak);
        Assert.InRange(firstDown, 30, 36); // the 30 s down-window after the last high recommendation, not more
        Assert.Equal(1, decisions[^1].Replicas);
    }

    [Fact]
    public void AnIdleTierGoesToZeroOnlyWhenAllowedAndComesBackOnDemand()
    {
        var idle = Steady(0, 0, 40).ToList();
        Assert.All(Play(Policy, 1, idle), d => Assert.Equal(1, d.Replicas));

        var zeroPolicy = Policy with { AllowScaleToZero = true, IdleBeforeZero = TimeSpan.FromSeconds(20), ScaleDownStabilization = TimeSpan.FromSeconds(5) };
        var decisions = Play(zeroPolicy, 1, idle.Concat(Steady(3, 0, 3)));
        var zeroAt = decisions.FindIndex(d => d.Replicas == 0);
        Assert.InRange(zeroAt, 20, 26);
        Assert.Equal(ScaleReasons.Idle, decisions[zeroAt].Reason);
        Assert.Equal(1, decisions[40].Replicas);
        Assert.Equal(ScaleReasons.Activated, decisions[40].Reason);
    }

    [Fact]
    public void AStableLoadMakesNoChange()
    {
        var decisions = Play(Policy, 3, Steady(4, 16, 100));
        Assert.DoesNotContain(decisions, d => d.Changed);
        Assert.All(decisions, d => Assert.Equal(ScaleReasons.Stable, d.Reason));
    }
}
