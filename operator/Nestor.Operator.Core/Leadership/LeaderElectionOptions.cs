namespace Nestor.Operator.Core.Leadership;

public sealed record LeaderElectionOptions
{
    public bool Enabled { get; init; } = true;

    public string LeaseNamespace { get; init; } = "default";

    public string LeaseName { get; init; } = "nestor-operator";

    /// <summary>Unique per process: the pod name plus a random suffix by default.</summary>
    public string Identity { get; init; } = $"{Environment.MachineName}_{Guid.NewGuid():N}";

    /// <summary>How long a lease is valid after its last renewal (client-go default 15 s).</summary>
    public TimeSpan LeaseDuration { get; init; } = TimeSpan.FromSeconds(15);

    /// <summary>The leader gives up if it could not renew for this long (client-go default 10 s).</summary>
    public TimeSpan RenewDeadline { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>A graceful stop hands the lease over at once (off: a standby waits for it to expire, as after a crash).</summary>
    public bool ReleaseOnStop { get; init; } = true;

    /// <summary>The interval between acquire and renew attempts (client-go default 2 s).</summary>
    public TimeSpan RetryPeriod { get; init; } = TimeSpan.FromSeconds(2);
}
