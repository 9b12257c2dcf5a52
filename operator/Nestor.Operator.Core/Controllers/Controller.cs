using System.Diagnostics;
using k8s;
using k8s.Models;
using Microsoft.Extensions.Logging;
using Nestor.Operator.Core.Informers;
using Nestor.Operator.Core.Kube;
using Nestor.Operator.Core.Metrics;
using Nestor.Operator.Core.Queue;

namespace Nestor.Operator.Core.Controllers;

/// <summary>
/// One controller: a work queue of keys of its primary kind, fed by informer events (the primary's
/// own, its children's through their controller ownerReference, and any mapped watch), drained by N
/// workers that call the reconciler. Started and stopped by the <see cref="Hosting.Manager"/> with
/// leadership: a stopped controller drops its queue; a started one enqueues every cached primary.
/// </summary>
public sealed class Controller
{
    private readonly IReconciler _reconciler;
    private readonly OperatorMetrics _metrics;
    private readonly ILogger _logger;
    private readonly Func<IEnumerable<ObjectKey>> _listPrimaryKeys;
    private readonly Lock _lock = new();
    private WorkQueue<ObjectKey>? _queue;
    private int _active;

    internal Controller(string name, IReconciler reconciler, int workers, Func<IEnumerable<ObjectKey>> listPrimaryKeys,
        IReadOnlyList<IInformer> informers, OperatorMetrics metrics, ILogger logger)
    {
        Name = name;
        _reconciler = reconciler;
        Workers = workers;
        _listPrimaryKeys = listPrimaryKeys;
        Informers = informers;
        _metrics = metrics;
        _logger = logger;
    }

    public string Name { get; }

    public int Workers { get; }

    public IReadOnlyList<IInformer> Informers { get; }

    /// <summary>Queues a key now (no-op while the controller is stopped).</summary>
    public void Enqueue(ObjectKey key)
    {
        lock (_lock)
        {
            _queue?.Add(key);
        }
    }

    /// <summary>Runs the workers until the token fires (leadership lost or shutdown); then stops at once.</summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        var queue = new WorkQueue<ObjectKey>(onDepth: d => _metrics.QueueDepth(Name, d), onWait: w => _metrics.QueueWait(Name, w));
        lock (_lock)
        {
            _queue = queue;
        }

        try
        {
            foreach (var informer in Informers)
            {
                await informer.WaitForSyncAsync(cancellationToken);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            lock (_lock)
            {
                _queue = null;
            }

            queue.Dispose();
            return;
        }

        foreach (var key in _listPrimaryKeys())
        {
            queue.Add(key);
        }

        _logger.LogInformation("Controller {Controller} started with {Workers} workers", Name, Workers);
        try
        {
            await Task.WhenAll(Enumerable.Range(0, Workers).Select(_ => Task.Run(() => WorkAsync(queue, cancellationToken), CancellationToken.None)));
        }
        finally
        {
            lock (_lock)
            {
                _queue = null;
            }

            queue.Dispose();
            _logger.LogInformation("Controller {Controller} stopped", Name);
        }
    }

    private async Task WorkAsync(WorkQueue<ObjectKey> queue, CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            ObjectKey key;
            try
            {
                var next = await queue.GetAsync(cancellationToken);
                if (next == default)
                {
                    return;
                }

                key = next;
            }
            catch (OperationCanceledException)
            {
                return;
            }

            _metrics.ActiveWorkers(Name, Interlocked.Increment(ref _active));
            var watch = Stopwatch.StartNew();
            try
            {
                var result = await _reconciler.ReconcileAsync(key, cancellationToken);
                if (result.Retry)
                {
                    _metrics.QueueRetry(Name);
                    queue.AddRateLimited(key);
                    _metrics.Reconciled(Name, "retry", watch.Elapsed);
                }
                else
                {
                    queue.Forget(key);
                    if (result.RequeueAfter is { } after)
                    {
                        queue.AddAfter(key, after);
                    }

                    _metrics.Reconciled(Name, result.RequeueAfter is null ? "success" : "requeue_after", watch.Elapsed);
                }
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                _metrics.Reconciled(Name, "canceled", watch.Elapsed);
            }
            catch (Exception e)
            {
                var delay = queue.AddRateLimited(key);
                _metrics.QueueRetry(Name);
                _metrics.Reconciled(Name, "error", watch.Elapsed);
                if (e is KubeApiException { IsConflict: true })
                {
                    _logger.LogDebug("Reconcile of {Controller} {Key} hit a conflict; retrying in {Delay}", Name, key, delay);
                }
                else
                {
                    _logger.LogWarning(e, "Reconcile of {Controller} {Key} failed; retrying in {Delay}", Name, key, delay);
                }
            }
            finally
            {
                _metrics.ActiveWorkers(Name, Interlocked.Decrement(ref _active));
                queue.Done(key);
            }
        }
    }
}

/// <summary>Maps informer events to controller keys.</summary>
internal sealed class EnqueueHandler<T>(Controller controller, Func<T, IEnumerable<ObjectKey>> map) : IInformerHandler<T>
    where T : class, IKubernetesObject<V1ObjectMeta>
{
    public void OnAdd(T obj) => Enqueue(obj);

    public void OnUpdate(T oldObj, T newObj)
    {
        Enqueue(oldObj);
        Enqueue(newObj);
    }

    public void OnDelete(T obj) => Enqueue(obj);

    private void Enqueue(T obj)
    {
        foreach (var key in map(obj))
        {
            controller.Enqueue(key);
        }
    }
}
