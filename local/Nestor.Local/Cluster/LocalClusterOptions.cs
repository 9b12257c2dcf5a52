using Microsoft.Extensions.Logging;
using Nestor.Local.Controllers.Jobs;
using Nestor.Local.Controllers.Volumes;
using Nestor.Local.Node;
using Nestor.Local.Node.Images;

namespace Nestor.Local.Cluster;

/// <summary>Settings of a <see cref="LocalCluster"/>. The defaults suit `make cluster`; tests shorten the backoffs.</summary>
public sealed record LocalClusterOptions
{
    /// <summary>Where the cluster keeps its kubeconfig, volumes, pod folders and logs (see <see cref="ClusterLayout"/>).</summary>
    public string DataDirectory { get; init; } = ".nestor";

    /// <summary>The API server's port on 127.0.0.1; 0 picks a free one.</summary>
    public int ApiServerPort { get; init; }

    /// <summary>Keep API objects across restarts in &lt;data&gt;/apiserver.json.</summary>
    public bool Persist { get; init; }

    /// <summary>Folders (or files) of CustomResourceDefinition YAML to install at start (e.g. the repository's crds/).</summary>
    public IReadOnlyList<string> CrdPaths { get; init; } = [];

    /// <summary>Image → local folder and entrypoint; defaults: <see cref="ImageMap.Defaults"/> for the repository found above the working directory.</summary>
    public ImageMap? Images { get; init; }

    /// <summary>Service clusterIPs are allocated as &lt;prefix&gt;.a.b (a loopback prefix, so the proxy can listen there).</summary>
    public string ServiceIpPrefix { get; init; } = "127.96";

    public NodeAgentOptions Node { get; init; } = new();

    public JobControllerOptions Jobs { get; init; } = new();

    public ClaimBinderOptions Claims { get; init; } = new();

    /// <summary>Extra namespaces to create at start.</summary>
    public IReadOnlyList<string> Namespaces { get; init; } = [];

    /// <summary>Reconcile workers per controller.</summary>
    public int Workers { get; init; } = 2;

    public ILoggerFactory? LoggerFactory { get; init; }
}
