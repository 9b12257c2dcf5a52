using k8s;
using k8s.Models;
using Microsoft.Extensions.Logging;
using Nestor.Operator.Core.Kube;
using Nestor.Operator.Core.Metrics;

namespace Nestor.Operator.Core.Informers;

/// <summary>Something that runs a list/watch loop and can say whether its cache holds a full list.</summary>
public interface IInformer
{
    ResourceType Type { get; }

    bool HasSynced { get; }

    Task RunAsync(CancellationToken cancellationToken);

    Task WaitForSyncAsync(CancellationToken cancellationToken);
}

/// <summary>Receives the changes an informer sees, after its cache has applied them.</summary>
public interface IInformerHandler<in T>
{
    void OnAdd(T obj);

    void OnUpdate(T oldObj, T newObj);

    void OnDelete(T obj);
}

/// <summary>
/// Keeps a cache of one kind current: lists, then watches from the list's resourceVersion with
/// bookmarks and a jittered server timeout; re-watches whenever the stream ends; relists on 410;
/// restarts a watch that went silent; backs off with jitter on errors. A relist turns objects that
/// vanished meanwhile into delete notifications, so no change is missed.
/// </summary>
public sealed class Informer<T> : IInformer
    where T : class, IKubernetesObject<V1ObjectMeta>
{
    private readonly KubeApiClient _api;
    private readonly InformerOptions _options;
    private readonly OperatorMetrics? _metrics;
    private readonly ILogger _logger;
    private readonly List<IInformerHandler<T>> _handlers = [];
    private readonly TaskCompletionSource _synced = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _pendingNamespaces;

    public Informer(KubeApiClient api, InformerOptions options, ILogger logger, OperatorMetrics? metrics = null, ResourceType? type = null)
    {
        _api = api;
        _options = options;
        _logger = logger;
        _metrics = metrics;
        Type = type ?? ResourceType.For<T>();
        _pendingNamespaces = Math.Max(1, options.Namespaces.Count);
    }

    public ResourceType Type { get; }

    public InformerCache<T> Cache { get; } = new();

    public bool HasSynced => _synced.Task.IsCompleted;

    /// <summary>Adds a handler; add handlers before RunAsync.</summary>
    public void AddHandler(IInformerHandler<T> handler) => _handlers.Add(handler);

    public Task WaitForSyncAsync(CancellationToken cancellationToken) => _synced.Task.WaitAsync(cancellationToken);

    public Task RunAsync(CancellationToken cancellationToken)
    {
        var scopes = _options.Namespaces.Count == 0 ? [null] : _options.Namespaces.Cast<string?>().ToArray();
        return Task.WhenAll(scopes.Select(ns => Task.Run(() => RunScopeAsync(ns, cancellationToken), CancellationToken.None)));
    }

    private async Task RunScopeAsync(string? @namespace, CancellationToken cancellationToken)
    {
        string? resourceVersion = null;
        var failures = 0;
        var synced = false;
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                if (resourceVersion is null)
                {
                    resourceVersion = await RelistAsync(@namespace, cancellationToken);
                    if (!synced)
                    {
                        synced = true;
                        if (Interlocked.Decrement(ref _pendingNamespaces) == 0)
                        {
                            _synced.TrySetResult();
                        }
                    }
                }

                var started = DateTime.UtcNow;
                var events = 0;
                var reason = await WatchAsync(@namespace, resourceVersion, rv => resourceVersion = rv, () => { failures = 0; events++; }, cancellationToken);
                _metrics?.WatchRestart(Type.GroupResource, reason);
                if (events == 0 && DateTime.UtcNow - started < TimeSpan.FromSeconds(1))
                {
                    // A server that ends every watch at once would otherwise be hammered in a tight loop.
                    await Task.Delay(Backoff(++failures), cancellationToken);
                }

                _logger.LogDebug("Watch of {Resource} in {Namespace} ended ({Reason}); re-watching from {ResourceVersion}",
                    Type, @namespace ?? "(all)", reason, resourceVersion);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
            catch (KubeApiException e) when (e.IsGone)
            {
                // 410: our resourceVersion fell out of the server's history. Relist now, no backoff.
                _metrics?.WatchRestart(Type.GroupResource, "expired");
                _logger.LogInformation("Watch of {Resource} in {Namespace} expired at {ResourceVersion}; relisting",
                    Type, @namespace ?? "(all)", resourceVersion);
                resourceVersion = null;
            }
            catch (Exception e)
            {
                failures++;
                _metrics?.WatchRestart(Type.GroupResource, "error");
                var delay = Backoff(failures);
                _logger.LogWarning(e, "List/watch of {Resource} in {Namespace} failed ({Failures} in a row); retrying in {Delay}",
                    Type, @namespace ?? "(all)", failures, delay);
                try
                {
                    await Task.Delay(delay, cancellationToken);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        }
    }

    private async Task<string> RelistAsync(string? @namespace, CancellationToken cancellationToken)
    {
        var page = await _api.ListAllAsync<T>(Type, new ListOptions(@namespace, _options.LabelSelector), _options.PageSize, cancellationToken);
        var seen = new HashSet<ObjectKey>();
        foreach (var item in page.Items)
        {
            seen.Add(ObjectKey.Of(item));
            Apply(WatchEventKind.Added, item);
        }

        foreach (var key in Cache.Keys(@namespace))
        {
            if (!seen.Contains(key) && Cache.Remove(key) is { } gone)
            {
                Notify(h => h.OnDelete(gone));
            }
        }

        return page.ResourceVersion;
    }

    /// <summary>Runs one watch until it ends; returns why it ended. Throws on errors (410 included).</summary>
    private async Task<string> WatchAsync(string? @namespace, string resourceVersion, Action<string> onResourceVersion, Action onHealthy,
        CancellationToken cancellationToken)
    {
        var timeout = _options.WatchTimeout * (1 + Random.Shared.NextDouble());
        using var idle = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        idle.CancelAfter(_options.IdleTimeout);
        var options = new WatchOptions(@namespace, resourceVersion, timeout, _options.LabelSelector);
        try
        {
            await foreach (var change in _api.WatchAsync<T>(Type, options, idle.Token))
            {
                idle.CancelAfter(_options.IdleTimeout);
                onHealthy();
                if (change.ResourceVersion is { Length: > 0 } rv)
                {
                    onResourceVersion(rv);
                }

                if (change.Kind != WatchEventKind.Bookmark && change.Object is not null)
                {
                    Apply(change.Kind, change.Object);
                }
            }
        }
        catch (OperationCanceledException) when (idle.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            _logger.LogWarning("Watch of {Resource} in {Namespace} was silent for {Idle}; restarting it", Type, @namespace ?? "(all)", _options.IdleTimeout);
            return "idle";
        }

        return "closed";
    }

    private void Apply(WatchEventKind kind, T obj)
    {
        if (kind == WatchEventKind.Deleted)
        {
            var removed = Cache.Remove(ObjectKey.Of(obj));
            Notify(h => h.OnDelete(removed ?? obj));
            return;
        }

        var old = Cache.Upsert(obj);
        if (old is null)
        {
            Notify(h => h.OnAdd(obj));
        }
        else if (old.Metadata.ResourceVersion != obj.Metadata.ResourceVersion)
        {
            Notify(h => h.OnUpdate(old, obj));
        }
    }

    private void Notify(Action<IInformerHandler<T>> action)
    {
        foreach (var handler in _handlers)
        {
            try
            {
                action(handler);
            }
            catch (Exception e)
            {
                _logger.LogError(e, "An event handler for {Resource} failed", Type);
            }
        }
    }

    private TimeSpan Backoff(int failures)
    {
        var ms = Math.Min(_options.BackoffMax.TotalMilliseconds, _options.BackoffBase.TotalMilliseconds * Math.Pow(2, Math.Min(failures - 1, 30)));
        return TimeSpan.FromMilliseconds(ms * (0.5 + (Random.Shared.NextDouble() * 0.5)));
    }
}
