namespace Nestor.Operator.Autoscaling;

/// <summary>
/// The tier autoscaler's decision, a pure function of (state, samples, policy, now):
/// desired = ceil((waiting + running) / target per replica), raised while p95 latency is above its
/// target; up at once (or after the up-window, unless the queue is outgrowing capacity), down only
/// to the highest recommendation of the down-window; bounded steps; min and max; zero only when
/// allowed and idle long enough; missing or stale metrics never shrink the tier.
/// </summary>
public static class Autoscaler
{
    public static ScaleDecision Decide(ScaleState state, IReadOnlyList<TierSample> samples, AutoscalingPolicy policy, DateTimeOffset now)
    {
        var current = state.Replicas;
        if (state.Recommendations.Count == 0)
        {
            // No history yet (a new tier, or the operator restarted): count the current size as
            // recommended now, so a restart never skips the scale-down window.
            state = state with { Recommendations = [(now, current)] };
        }

        var floor = Math.Max(1, policy.MinReplicas);
        var latest = samples.Count > 0 ? samples[^1] : null;

        if (latest is null || now - latest.At > policy.MetricsStaleAfter || latest.PodsSampled == 0)
        {
            if (current == 0)
            {
                return Result(state, 0, ScaleReasons.Idle, "at zero with no pod serving the budget", now, state.IdleSince);
            }

            var target = policy.OnMissingMetrics switch
            {
                MissingMetricsAction.ScaleToMin => floor,
                MissingMetricsAction.ScaleToMax => policy.MaxReplicas,
                _ => Math.Clamp(current, floor, policy.MaxReplicas),
            };
            var why = latest is null ? "no sample yet" : latest.PodsSampled == 0 ? "no pod's metrics could be read" : $"the last sample is {(now - latest.At).TotalSeconds:0} s old";
            return Result(state, target, ScaleReasons.MetricsMissing, $"{why}; {policy.OnMissingMetrics}", now, state.IdleSince);
        }

        var load = latest.Load;
        var idleSince = load > 0 ? (DateTimeOffset?)null : state.IdleSince ?? latest.At;
        var raw = (int)Math.Ceiling(load / policy.TargetQueuePerReplica);
        var reason = raw > current ? ScaleReasons.QueueAboveTarget : raw < current ? ScaleReasons.QueueBelowTarget : ScaleReasons.Stable;
        var message = $"{load:0.#} requests (waiting {latest.Waiting:0.#}, running {latest.Running:0.#}) for a target of {policy.TargetQueuePerReplica:0.#} per replica";

        // The latency percentiles cover a trailing window: once nothing waits or runs they describe demand that is gone,
        // and must neither add replicas nor hold off the scale-down.
        var latency = load > 0 ? LatencyPressure(latest, policy) : null;
        if (latency is { } ratio && current > 0)
        {
            var byLatency = Math.Max(current + 1, (int)Math.Ceiling(current * Math.Min(2.0, ratio.Ratio)));
            if (byLatency > raw)
            {
                raw = byLatency;
                reason = ScaleReasons.LatencyAboveTarget;
                message = ratio.Message;
            }
        }

        var zeroAllowed = policy.AllowScaleToZero && idleSince is { } since && now - since >= policy.IdleBeforeZero;
        raw = Math.Clamp(raw, zeroAllowed ? 0 : floor, policy.MaxReplicas);
        if (current == 0 && load > 0)
        {
            raw = Math.Max(raw, 1);
            return Result(state with { Recommendations = Remember(state.Recommendations, now, raw, policy) },
                Math.Min(raw, policy.MaxScaleUpStep), ScaleReasons.Activated, $"demand at zero: {message}", now, idleSince);
        }

        var recommendations = Remember(state.Recommendations, now, raw, policy);
        var next = state with { Recommendations = recommendations };
        int desired;
        if (raw > current)
        {
            var outgrowing = Outgrowing(samples, current, policy);
            desired = outgrowing || policy.ScaleUpStabilization == TimeSpan.Zero
                ? raw
                : Math.Max(current, Window(recommendations, now, policy.ScaleUpStabilization).Min());
            desired = Math.Min(desired, current + policy.MaxScaleUpStep);
            if (desired == current)
            {
                reason = ScaleReasons.Stabilizing;
            }
        }
        else if (raw < current)
        {
            desired = Math.Min(current, Window(recommendations, now, policy.ScaleDownStabilization).Max());
            desired = Math.Max(desired, current - policy.MaxScaleDownStep);
            if (desired == current)
            {
                reason = ScaleReasons.Stabilizing;
                message += $"; holding {current} for the {policy.ScaleDownStabilization.TotalSeconds:0} s scale-down window";
            }
            else if (desired == 0)
            {
                reason = ScaleReasons.Idle;
                message = $"no request for {policy.IdleBeforeZero.TotalSeconds:0} s";
            }
        }
        else
        {
            desired = current;
        }

        return Result(next, Math.Clamp(desired, zeroAllowed ? 0 : floor, policy.MaxReplicas),
            reason, message, now, idleSince);
    }

    private static ScaleDecision Result(ScaleState state, int replicas, string reason, string message, DateTimeOffset now, DateTimeOffset? idleSince)
    {
        var changed = replicas != state.Replicas;
        var next = state with
        {
            Replicas = replicas,
            IdleSince = idleSince,
            LastScaleTime = changed ? now : state.LastScaleTime,
        };
        return new ScaleDecision(replicas, reason, message, changed, next);
    }

    private static (double Ratio, string Message)? LatencyPressure(TierSample sample, AutoscalingPolicy policy)
    {
        (double Ratio, string Message)? worst = null;
        void Consider(TimeSpan? observed, TimeSpan? target, string name)
        {
            if (observed is { } o && target is { } t && o > t)
            {
                var ratio = o / t;
                if (worst is null || ratio > worst.Value.Ratio)
                {
                    worst = (ratio, $"p95 {name} {o.TotalMilliseconds:0} ms is above its target of {t.TotalMilliseconds:0} ms");
                }
            }
        }

        Consider(sample.TtftP95, policy.TargetTtftP95, "time to first token");
        Consider(sample.E2eP95, policy.TargetE2eP95, "end-to-end latency");
        return worst;
    }

    /// <summary>The queue grew over the last samples and already exceeds what the current replicas are meant to hold.</summary>
    private static bool Outgrowing(IReadOnlyList<TierSample> samples, int current, AutoscalingPolicy policy)
    {
        if (samples.Count < 2)
        {
            return false;
        }

        var last = samples[^1];
        var previous = samples[^2];
        return last.Waiting > previous.Waiting && last.Load > current * policy.TargetQueuePerReplica;
    }

    private static IReadOnlyList<(DateTimeOffset At, int Replicas)> Remember(IReadOnlyList<(DateTimeOffset At, int Replicas)> history,
        DateTimeOffset now, int raw, AutoscalingPolicy policy)
    {
        var keep = policy.ScaleDownStabilization > policy.ScaleUpStabilization ? policy.ScaleDownStabilization : policy.ScaleUpStabilization;
        return [.. history.Where(r => now - r.At <= keep), (now, raw)];
    }

    private static IEnumerable<int> Window(IReadOnlyList<(DateTimeOffset At, int Replicas)> recommendations, DateTimeOffset now, TimeSpan window) =>
        recommendations.Where(r => now - r.At <= window).Select(r => r.Replicas);
}
