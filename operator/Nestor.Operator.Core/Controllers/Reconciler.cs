using Nestor.Operator.Core.Kube;

namespace Nestor.Operator.Core.Controllers;

/// <summary>
/// The outcome of one reconcile. Done forgets the key's backoff; RequeueAfter schedules another look
/// (and forgets the backoff); Retry requeues with the key's exponential backoff. An exception is a Retry too.
/// </summary>
public readonly record struct ReconcileResult(TimeSpan? RequeueAfter, bool Retry)
{
    public static ReconcileResult Done => default;

    public static ReconcileResult After(TimeSpan delay) => new(delay, false);

    public static ReconcileResult Backoff => new(null, true);

    /// <summary>The sooner of two results, so a reconciler can combine its parts' wishes.</summary>
    public ReconcileResult Min(ReconcileResult other)
    {
        if (Retry || other.Retry)
        {
            return Backoff;
        }

        return (RequeueAfter, other.RequeueAfter) switch
        {
            (null, var b) => new(b, false),
            (var a, null) => new(a, false),
            var (a, b) => new(a < b ? a : b, false),
        };
    }
}

/// <summary>
/// Level-triggered: given only the key, read the current state (from the informer caches), make the
/// world match the spec, write status. Called at most once at a time per key.
/// </summary>
public interface IReconciler
{
    Task<ReconcileResult> ReconcileAsync(ObjectKey key, CancellationToken cancellationToken);
}
