namespace Nestor.Local.Node;

/// <summary>Settings of the node agent that runs pods as local processes.</summary>
public sealed record NodeAgentOptions
{
    /// <summary>The node name pods report (status.hostIP is 127.0.0.1).</summary>
    public string NodeName { get; init; } = "local";

    /// <summary>Pods get addresses 127.&lt;x&gt;.a.b under this prefix.</summary>
    public string PodIpPrefix { get; init; } = "127.10";

    /// <summary>First delay before a crashed container is restarted; doubled per further crash (kubelet: 10 s).</summary>
    public TimeSpan RestartBackoffBase { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Longest restart delay (kubelet: 5 min).</summary>
    public TimeSpan RestartBackoffMax { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>When the agent stops, containers get SIGTERM and at most this long (or their own grace period, if shorter) before SIGKILL.</summary>
    public TimeSpan ShutdownGracePeriod { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>How often a pod waiting for a volume, ConfigMap or image looks again.</summary>
    public TimeSpan RetryInterval { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>Enforce readOnly volume mounts with private read-only bind mounts (needs root); null: when possible.</summary>
    public bool? EnforceReadOnlyMounts { get; init; }

    /// <summary>Host variables passed to every container (besides the pod's own env); HOME and PATH always are.</summary>
    public IReadOnlyList<string> PassThroughEnvironment { get; init; } =
        ["PATH", "HOME", "USER", "LANG", "LC_ALL", "TZ", "DOTNET_ROOT", "DOTNET_ROOT_X64", "SSL_CERT_FILE", "SSL_CERT_DIR", "NUGET_PACKAGES"];

    /// <summary>Extra variables every container gets (before its own env, which may override them).</summary>
    public IReadOnlyDictionary<string, string> ExtraEnvironment { get; init; } = new Dictionary<string, string>();
}
