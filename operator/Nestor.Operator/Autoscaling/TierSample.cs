namespace Nestor.Operator.Autoscaling;

/// <summary>
/// One sample of a tier's load, summed over the ready pods that serve its budget (its own pods and,
/// at zero, the pods it borrows). Latency percentiles are over the policy's window; null when no
/// request finished in it.
/// </summary>
public sealed record TierSample(
    DateTimeOffset At,
    int PodsSampled,
    double Waiting,
    double Running,
    TimeSpan? TtftP95 = null,
    TimeSpan? E2eP95 = null)
{
    public double Load => Waiting + Running;
}
