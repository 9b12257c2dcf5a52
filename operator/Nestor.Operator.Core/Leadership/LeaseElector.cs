using k8s.Models;
using Microsoft.Extensions.Logging;
using Nestor.Operator.Core.Kube;
using Nestor.Operator.Core.Metrics;

namespace Nestor.Operator.Core.Leadership;

/// <summary>
/// Leader election on a coordination.k8s.io/v1 Lease, as client-go does it: a candidate takes the
/// lease when it is free or when it has not changed for LeaseDuration by the candidate's own clock
/// (so clock skew between machines does not matter); the leader renews every RetryPeriod and steps
/// down when it could not renew for RenewDeadline. Writes carry the lease's resourceVersion, so two
/// candidates can never both win. Unlike KubernetesClient's elector, a lost lease is contended for
/// again with backoff, errors never end the loop, and a graceful stop releases the lease at once.
/// </summary>
public sealed class LeaseElector(KubeApiClient api, LeaderElectionOptions options, ILogger logger, OperatorMetrics? metrics = null, TimeProvider? time = null)
{
    private static readonly ResourceType LeaseType = ResourceType.For<V1Lease>();
    private readonly TimeProvider _time = time ?? TimeProvider.System;
    private string? _observedRecord;
    private DateTimeOffset _observedAt;
    private volatile bool _isLeader;

    public string Identity => options.Identity;

    public bool IsLeader => _isLeader;

    /// <summary>The holder last seen on the lease (may be stale).</summary>
    public string? ObservedLeader { get; private set; }

    /// <summary>
    /// Contends for the lease until the token fires. While this instance leads, <paramref name="whileLeading"/>
    /// runs with a token that fires the moment leadership is lost.
    /// </summary>
    public async Task RunAsync(Func<CancellationToken, Task> whileLeading, CancellationToken cancellationToken)
    {
        var losses = 0;
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                await AcquireAsync(cancellationToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }

            SetLeader(true);
            logger.LogInformation("{Identity} became the leader of lease {Namespace}/{Lease}", Identity, options.LeaseNamespace, options.LeaseName);
            using var leading = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            var work = Task.Run(() => whileLeading(leading.Token), CancellationToken.None);
            var renew = RenewUntilLostAsync(leading.Token);
            if (await Task.WhenAny(work, renew) == work && work.IsCompletedSuccessfully)
            {
                await IgnoreCancellation(renew, "lease renewal"); // nothing to run, but keep the lease
            }

            SetLeader(false);
            await leading.CancelAsync();
            await IgnoreCancellation(work, "leader work");
            await IgnoreCancellation(renew, "lease renewal");

            if (cancellationToken.IsCancellationRequested)
            {
                if (options.ReleaseOnStop)
                {
                    await ReleaseAsync();
                }

                return;
            }

            losses++;
            var delay = TimeSpan.FromMilliseconds(Math.Min(options.LeaseDuration.TotalMilliseconds,
                options.RetryPeriod.TotalMilliseconds * Math.Pow(2, Math.Min(losses - 1, 10))) * (1 + (Random.Shared.NextDouble() * 0.2)));
            logger.LogWarning("{Identity} lost the leader lease; contending again in {Delay}", Identity, delay);
            try
            {
                await Task.Delay(delay, _time, cancellationToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    private async Task AcquireAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (await TryAcquireOrRenewAsync(cancellationToken))
            {
                return;
            }

            await Task.Delay(Jitter(options.RetryPeriod), _time, cancellationToken);
        }
    }

    private async Task RenewUntilLostAsync(CancellationToken cancellationToken)
    {
        var lastRenew = _time.GetUtcNow();
        while (!cancellationToken.IsCancellationRequested)
        {
            await Task.Delay(options.RetryPeriod, _time, cancellationToken);
            using var attempt = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            attempt.CancelAfter(options.RenewDeadline);
            bool renewed;
            try
            {
                renewed = await TryAcquireOrRenewAsync(attempt.Token);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                renewed = false;
            }

            if (renewed)
            {
                lastRenew = _time.GetUtcNow();
            }
            else if (_time.GetUtcNow() - lastRenew >= options.RenewDeadline || (ObservedLeader is { Length: > 0 } holder && holder != Identity))
            {
                return; // lost: another holder took it, or we could not renew in time
            }
        }
    }

    /// <summary>One attempt: returns true when this instance holds the lease afterwards. Never throws for API errors.</summary>
    private async Task<bool> TryAcquireOrRenewAsync(CancellationToken cancellationToken)
    {
        try
        {
            var now = _time.GetUtcNow();
            var lease = await api.GetAsync<V1Lease>(LeaseType, options.LeaseNamespace, options.LeaseName, cancellationToken);
            if (lease is null)
            {
                var created = new V1Lease
                {
                    Metadata = new V1ObjectMeta { Name = options.LeaseName, NamespaceProperty = options.LeaseNamespace },
                    Spec = new V1LeaseSpec
                    {
                        HolderIdentity = Identity,
                        LeaseDurationSeconds = (int)Math.Ceiling(options.LeaseDuration.TotalSeconds),
                        AcquireTime = now.UtcDateTime,
                        RenewTime = now.UtcDateTime,
                        LeaseTransitions = 0,
                    },
                };
                await api.CreateAsync(LeaseType, created, cancellationToken);
                Observe(created.Spec, now);
                return true;
            }

            lease.Spec ??= new V1LeaseSpec();
            Observe(lease.Spec, now);
            var holder = lease.Spec.HolderIdentity;
            var duration = TimeSpan.FromSeconds(lease.Spec.LeaseDurationSeconds ?? (int)options.LeaseDuration.TotalSeconds);
            if (!string.IsNullOrEmpty(holder) && holder != Identity && _observedAt + duration > now)
            {
                return false; // someone else holds a lease that has not expired by our clock
            }

            if (holder != Identity)
            {
                lease.Spec.HolderIdentity = Identity;
                lease.Spec.AcquireTime = now.UtcDateTime;
                lease.Spec.LeaseTransitions = (lease.Spec.LeaseTransitions ?? 0) + 1;
            }

            lease.Spec.LeaseDurationSeconds = (int)Math.Ceiling(options.LeaseDuration.TotalSeconds);
            lease.Spec.RenewTime = now.UtcDateTime;
            var updated = await api.ReplaceAsync(LeaseType, lease, cancellationToken);
            Observe(updated.Spec!, now);
            return true;
        }
        catch (KubeApiException e)
        {
            logger.LogDebug("Lease attempt by {Identity} failed: {Error}", Identity, e.Message);
            return false;
        }
    }

    private async Task ReleaseAsync()
    {
        try
        {
            using var timeout = new CancellationTokenSource(options.RenewDeadline);
            var lease = await api.GetAsync<V1Lease>(LeaseType, options.LeaseNamespace, options.LeaseName, timeout.Token);
            if (lease?.Spec?.HolderIdentity != Identity)
            {
                return;
            }

            lease.Spec.HolderIdentity = null;
            lease.Spec.LeaseDurationSeconds = 1;
            lease.Spec.RenewTime = _time.GetUtcNow().UtcDateTime;
            await api.ReplaceAsync(LeaseType, lease, timeout.Token);
            logger.LogInformation("{Identity} released the leader lease", Identity);
        }
        catch (Exception e) when (e is KubeApiException or OperationCanceledException)
        {
            logger.LogWarning("Could not release the leader lease: {Error}", e.Message);
        }
    }

    private void Observe(V1LeaseSpec spec, DateTimeOffset now)
    {
        var record = $"{spec.HolderIdentity}|{spec.RenewTime:O}|{spec.LeaseTransitions}";
        if (record != _observedRecord)
        {
            _observedRecord = record;
            _observedAt = now;
        }

        ObservedLeader = spec.HolderIdentity;
    }

    private void SetLeader(bool leader)
    {
        _isLeader = leader;
        metrics?.Leader(leader);
    }

    private static TimeSpan Jitter(TimeSpan period) => period * (1 + (Random.Shared.NextDouble() * 0.2));

    private async Task IgnoreCancellation(Task task, string what)
    {
        try
        {
            await task;
        }
        catch (OperationCanceledException)
        {
        }
        catch (Exception e)
        {
            logger.LogError(e, "The {What} of {Identity} failed", what, Identity);
        }
    }
}
