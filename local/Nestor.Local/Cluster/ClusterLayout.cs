using System.Text.Json.Nodes;

namespace Nestor.Local.Cluster;

/// <summary>
/// Where the local cluster keeps its files, all under one data directory (default .nestor):
/// <code>
/// kubeconfig                                   for kubectl and the operator
/// volumes/&lt;namespace&gt;/&lt;claim&gt;/                 PersistentVolumeClaims bound without a nestor.dev/local-path
/// pods/&lt;namespace&gt;_&lt;pod&gt;_&lt;uid&gt;/              a pod's volumes (emptyDir, configMap, secret, downwardAPI) and containers' work folders, pid files, termination logs
/// logs/&lt;namespace&gt;_&lt;pod&gt;_&lt;uid&gt;/&lt;container&gt;/&lt;restart&gt;.log   every container run's stdout and stderr (kept after the pod is gone)
/// </code>
/// </summary>
public sealed class ClusterLayout(string dataDirectory)
{
    public string DataDirectory { get; } = Path.GetFullPath(dataDirectory);

    public string Kubeconfig => Path.Combine(DataDirectory, "kubeconfig");

    public string VolumesRoot => Path.Combine(DataDirectory, "volumes");

    public string PodsRoot => Path.Combine(DataDirectory, "pods");

    public string LogsRoot => Path.Combine(DataDirectory, "logs");

    public string ClaimDirectory(string @namespace, string claim) => Path.Combine(VolumesRoot, @namespace, claim);

    public static string PodFolderName(string @namespace, string pod, string uid) => $"{@namespace}_{pod}_{uid}";

    public string PodDirectory(string @namespace, string pod, string uid) => Path.Combine(PodsRoot, PodFolderName(@namespace, pod, uid));

    public string PodLogDirectory(string @namespace, string pod, string uid) => Path.Combine(LogsRoot, PodFolderName(@namespace, pod, uid));

    /// <summary>The log file of one run of a container: logs/&lt;ns&gt;_&lt;pod&gt;_&lt;uid&gt;/&lt;container&gt;/&lt;restartCount&gt;.log (kubelet's /var/log/pods layout).</summary>
    public string ContainerLog(string @namespace, string pod, string uid, string container, int restartCount) =>
        Path.Combine(PodLogDirectory(@namespace, pod, uid), container, $"{restartCount}.log");

    /// <summary>
    /// The log of a pod's container for `kubectl logs` (pods/log): its current run, or with
    /// <paramref name="previous"/> the one before; null when that run has no log.
    /// </summary>
    public async Task<string?> ReadContainerLogAsync(JsonObject pod, string container, bool previous, CancellationToken cancellationToken)
    {
        var ns = pod["metadata"]?["namespace"]?.GetValue<string>() ?? "default";
        var name = pod["metadata"]?["name"]?.GetValue<string>() ?? "";
        var uid = pod["metadata"]?["uid"]?.GetValue<string>() ?? "";
        var restarts = pod["status"]?["containerStatuses"]?.AsArray()
            .FirstOrDefault(s => s?["name"]?.GetValue<string>() == container)?["restartCount"]?.GetValue<int>() ?? 0;
        var run = previous ? restarts - 1 : restarts;
        var path = ContainerLog(ns, name, uid, container, run);
        if (run < 0 || !File.Exists(path))
        {
            return null;
        }

        // The agent keeps writing: open for reading while it does.
        await using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        using var reader = new StreamReader(stream);
        return await reader.ReadToEndAsync(cancellationToken);
    }
}
