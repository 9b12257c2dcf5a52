using System.Collections.Concurrent;
using k8s.Models;
using Microsoft.Extensions.Logging;
using Nestor.Local.Controllers.Common;
using Nestor.Local.Node.Pods;
using Nestor.Local.Node.Processes;
using Nestor.Operator.Core.Controllers;
using Nestor.Operator.Core.Informers;
using Nestor.Operator.Core.Kube;

namespace Nestor.Local.Node;

/// <summary>
/// The node agent: a reconciler over pods that starts a <see cref="PodWorker"/> for every pod that
/// should run (not finished, not being deleted before it ever started), hands each worker the latest
/// pod object, and stops the worker of a pod that vanished. Stopping the agent stops every process.
/// </summary>
public sealed class NodeAgent : IReconciler
{
    private static readonly ResourceType PodType = ResourceType.For<V1Pod>();
    private readonly NodeContext _node;
    private readonly InformerCache<V1Pod> _pods;
    private readonly ILogger<NodeAgent> _logger;
    private readonly ConcurrentDictionary<string, (PodWorker Worker, Task Run)> _workers = new();
    private readonly ConcurrentDictionary<ObjectKey, string> _finished = new();
    private volatile bool _stopping;

    internal NodeAgent(NodeContext node, InformerCache<V1Pod> pods, ILogger<NodeAgent> logger)
    {
        _node = node;
        _pods = pods;
        _logger = logger;
    }

    /// <summary>Pods with a worker now (running, starting or terminating).</summary>
    public int ActivePods => _workers.Count;

    /// <summary>The pids of every container process running now.</summary>
    public IReadOnlyList<int> RunningPids => _workers.Values.SelectMany(w => w.Worker.Pids).ToList();

    public async Task<ReconcileResult> ReconcileAsync(ObjectKey key, CancellationToken cancellationToken)
    {
        var pod = _pods.Get(key);
        foreach (var (uid, entry) in _workers)
        {
            if (entry.Worker.Key == key && (pod is null || pod.Metadata.Uid != uid))
            {
                entry.Worker.Gone();
            }
        }

        if (pod is null)
        {
            _finished.TryRemove(key, out _);
            return ReconcileResult.Done;
        }

        if (_workers.TryGetValue(pod.Metadata.Uid, out var existing))
        {
            existing.Worker.Update(pod);
            return ReconcileResult.Done;
        }

        if (_stopping || (_finished.TryGetValue(key, out var done) && done == pod.Metadata.Uid))
        {
            return ReconcileResult.Done;
        }

        var ours = pod.Metadata.Finalizers?.Contains(PodWorker.NodeFinalizer) == true;
        if (PodFacts.IsFinished(pod) || (PodFacts.IsTerminating(pod) && !ours))
        {
            if (ours)
            {
                // A worker wrote the terminal status but stopped before removing its finalizer (an agent restart).
                await ReleaseAsync(pod, cancellationToken);
            }

            return ReconcileResult.Done;
        }

        var worker = new PodWorker(_node, pod);
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var run = Task.Run(async () =>
        {
            await gate.Task;
            try
            {
                await worker.RunAsync();
            }
            finally
            {
                _finished[key] = pod.Metadata.Uid;
                _workers.TryRemove(pod.Metadata.Uid, out _);
            }
        }, CancellationToken.None);
        _workers[pod.Metadata.Uid] = (worker, run);
        gate.SetResult();
        _logger.LogInformation("Pod {Key} ({Uid}) assigned to this node", key, pod.Metadata.Uid);
        return ReconcileResult.Done;
    }

    /// <summary>Stops every pod's processes (SIGTERM, then SIGKILL after the shutdown grace period), then sweeps anything recorded in pid files.</summary>
    public async Task StopAsync()
    {
        _stopping = true;
        var entries = _workers.Values.ToList();
        foreach (var (worker, _) in entries)
        {
            worker.StopForShutdown();
        }

        await Task.WhenAll(entries.Select(e => e.Run));
        var killed = PidFiles.KillOrphans(_node.Layout.PodsRoot, _logger);
        if (killed > 0)
        {
            _logger.LogWarning("Killed {Count} leftover process(es) at shutdown", killed);
        }
    }

    private async Task ReleaseAsync(V1Pod pod, CancellationToken cancellationToken)
    {
        const string patch = "{\"metadata\":{\"$deleteFromPrimitiveList/finalizers\":[\"" + PodWorker.NodeFinalizer + "\"]}}";
        try
        {
            await _node.Api.PatchAsync<V1Pod>(PodType, pod.Metadata.NamespaceProperty, pod.Metadata.Name, PatchKind.StrategicMerge, patch, cancellationToken);
        }
        catch (KubeApiException e) when (e.IsNotFound)
        {
        }
    }
}
