using System.Text.Json.Nodes;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Nestor.ApiServer.Json;
using Nestor.ApiServer.Registry;
using Nestor.ApiServer.Resources;
using Nestor.ApiServer.Storage;

namespace Nestor.ApiServer.Gc;

/// <summary>
/// The controllers kube-controller-manager and the apiextensions server run that change stored objects:
/// ownerReference garbage collection (background: dependents whose owners are all gone are deleted, dangling
/// references to a gone owner are removed when other owners remain; foreground: the owner waits, with the
/// foregroundDeletion finalizer, until its blocking dependents are gone; orphan: dependents lose the owner
/// reference, then the orphan finalizer is removed), namespace termination (contents deleted, then the
/// namespace) and CRD cleanup (custom resources deleted, then the CRD). Driven by store events, asynchronous
/// like the real controllers, with a periodic resync for anything missed.
/// </summary>
internal sealed class GarbageCollector : IAsyncDisposable
{
    private const string Manager = "generic-garbage-collector";
    private static readonly GroupResource Namespaces = new("", "namespaces");
    private static readonly GroupResource Crds = new("apiextensions.k8s.io", "customresourcedefinitions");

    private readonly ObjectRegistry _registry;
    private readonly ILogger _logger;
    private readonly Channel<bool> _wake = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;
    private readonly TimeSpan _resync;

    public GarbageCollector(ObjectRegistry registry, ILogger logger, TimeSpan resync)
    {
        _registry = registry;
        _logger = logger;
        _resync = resync;
        registry.Store.Listen(OnEvent);
        _loop = Task.Run(RunAsync);
    }

    private void OnEvent(StoreEvent e)
    {
        var interesting = e.Type == StoreEventType.Deleted ||
                          JsonPaths.GetString(e.Object.Object, "metadata", "deletionTimestamp") is not null ||
                          JsonPaths.ArrayAt(e.Object.Object, "metadata", "ownerReferences") is { Count: > 0 };
        if (interesting)
        {
            _wake.Writer.TryWrite(true);
        }
    }

    private async Task RunAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            try
            {
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token);
                timeout.CancelAfter(_resync);
                try
                {
                    await _wake.Reader.ReadAsync(timeout.Token);
                }
                catch (OperationCanceledException) when (!_stop.IsCancellationRequested)
                {
                }

                while (Sweep() && !_stop.IsCancellationRequested)
                {
                }
            }
            catch (OperationCanceledException) when (_stop.IsCancellationRequested)
            {
                break;
            }
#pragma warning disable CA1031 // a failed sweep is logged and retried on the next event or resync
            catch (Exception e)
#pragma warning restore CA1031
            {
                _logger.LogError(e, "garbage collection sweep failed");
                await Task.Delay(100);
            }
        }
    }

    /// <summary>One pass over the store; true if it changed something (another pass may find more).</summary>
    private bool Sweep()
    {
        var state = _registry.Store.State;
        var uids = new HashSet<string>(StringComparer.Ordinal);
        var dependents = new Dictionary<string, List<(GroupResource Resource, StoredObject Object)>>(StringComparer.Ordinal);
        foreach (var (resource, objects) in state.Resources)
        {
            foreach (var obj in objects.Values)
            {
                uids.Add(obj.Uid);
                foreach (var owner in ObjectRegistry.OwnerUids(obj.Object))
                {
                    if (!dependents.TryGetValue(owner, out var list))
                    {
                        list = [];
                        dependents[owner] = list;
                    }

                    list.Add((resource, obj));
                }
            }
        }

        var changed = false;
        foreach (var (ownerUid, children) in dependents)
        {
            if (uids.Contains(ownerUid))
            {
                continue;
            }

            foreach (var (resource, child) in children)
            {
                changed |= CollectOrphanedDependent(resource, child, uids);
            }
        }

        foreach (var (resource, objects) in state.Resources)
        {
            foreach (var obj in objects.Values.Where(o => JsonPaths.GetString(o.Object, "metadata", "deletionTimestamp") is not null))
            {
                var finalizers = JsonPaths.Strings(JsonPaths.Get(obj.Object, "metadata", "finalizers")).ToList();
                var children = dependents.GetValueOrDefault(obj.Uid) ?? [];
                if (finalizers.Contains(ObjectRegistry.OrphanFinalizer))
                {
                    changed |= Orphan(resource, obj, children);
                }
                else if (finalizers.Contains(ObjectRegistry.ForegroundFinalizer))
                {
                    changed |= Foreground(resource, obj, children);
                }

                if (resource == Namespaces)
                {
                    changed |= TerminateNamespace(state, obj);
                }
                else if (resource == Crds && finalizers.Contains(CrdStrategy.CleanupFinalizer))
                {
                    changed |= CleanupCrd(state, obj);
                }
            }
        }

        return changed;
    }

    private bool CollectOrphanedDependent(GroupResource resource, StoredObject child, HashSet<string> liveUids)
    {
        var refs = ObjectRegistry.OwnerUids(child.Object).ToList();
        if (refs.All(uid => !liveUids.Contains(uid)))
        {
            if (JsonPaths.GetString(child.Object, "metadata", "deletionTimestamp") is not null)
            {
                return false;
            }

            _logger.LogDebug("garbage collecting {Resource} {Key}: all owners are gone", resource, child.Key);
            return _registry.TryDelete(resource, child.Key, PropagationPolicy.Background, child.Uid);
        }

        return _registry.TryMutate(resource, child.Key, Manager, obj =>
        {
            var ownerReferences = JsonPaths.ArrayAt(obj, "metadata", "ownerReferences");
            if (ownerReferences is null)
            {
                return false;
            }

            foreach (var dangling in ownerReferences.Where(r => !liveUids.Contains(JsonPaths.GetString(r, "uid") ?? "")).ToList())
            {
                ownerReferences.Remove(dangling);
            }

            return true;
        });
    }

    private bool Orphan(GroupResource resource, StoredObject owner, List<(GroupResource Resource, StoredObject Object)> children)
    {
        var changed = false;
        foreach (var (childResource, child) in children)
        {
            changed |= _registry.TryMutate(childResource, child.Key, Manager, obj =>
            {
                var refs = JsonPaths.ArrayAt(obj, "metadata", "ownerReferences");
                var mine = refs?.Where(r => JsonPaths.GetString(r, "uid") == owner.Uid).ToList() ?? [];
                foreach (var r in mine)
                {
                    refs!.Remove(r);
                }

                if (refs is { Count: 0 })
                {
                    JsonPaths.Metadata(obj).Remove("ownerReferences");
                }

                return mine.Count > 0;
            });
        }

        return RemoveFinalizer(resource, owner, ObjectRegistry.OrphanFinalizer) | changed;
    }

    private bool Foreground(GroupResource resource, StoredObject owner, List<(GroupResource Resource, StoredObject Object)> children)
    {
        var changed = false;
        foreach (var (childResource, child) in children.Where(c => JsonPaths.GetString(c.Object.Object, "metadata", "deletionTimestamp") is null))
        {
            changed |= _registry.TryDelete(childResource, child.Key, PropagationPolicy.Foreground, child.Uid);
        }

        var blocking = children.Any(c => (JsonPaths.ArrayAt(c.Object.Object, "metadata", "ownerReferences") ?? [])
            .Any(r => JsonPaths.GetString(r, "uid") == owner.Uid && JsonPaths.GetBool(r, "blockOwnerDeletion") == true));
        return blocking ? changed : RemoveFinalizer(resource, owner, ObjectRegistry.ForegroundFinalizer) | changed;
    }

    private bool TerminateNamespace(StoreState state, StoredObject ns)
    {
        var changed = false;
        var remaining = 0;
        foreach (var (resource, objects) in state.Resources)
        {
            if (resource == Namespaces || _registry.Catalog.Preferred(resource) is not { Namespaced: true })
            {
                continue;
            }

            foreach (var obj in objects.Values.Where(o => o.Namespace == ns.Name))
            {
                remaining++;
                if (JsonPaths.GetString(obj.Object, "metadata", "deletionTimestamp") is null)
                {
                    changed |= _registry.TryDelete(resource, obj.Key, PropagationPolicy.Background, obj.Uid);
                }
            }
        }

        if (remaining > 0)
        {
            return changed;
        }

        return _registry.TryMutate(Namespaces, ns.Key, "namespace-controller", obj =>
        {
            var finalizers = JsonPaths.ArrayAt(obj, "spec", "finalizers");
            if (finalizers is null || finalizers.Count == 0)
            {
                return false;
            }

            JsonPaths.Ensure(obj, "spec")["finalizers"] = new JsonArray();
            return true;
        }) | changed;
    }

    private bool CleanupCrd(StoreState state, StoredObject crd)
    {
        var group = JsonPaths.GetString(crd.Object, "spec", "group") ?? "";
        var plural = JsonPaths.GetString(crd.Object, "spec", "names", "plural") ?? "";
        var resource = new GroupResource(group, plural);
        var objects = state.Of(resource);
        var changed = false;
        foreach (var obj in objects.Values.Where(o => JsonPaths.GetString(o.Object, "metadata", "deletionTimestamp") is null))
        {
            changed |= _registry.TryDelete(resource, obj.Key, PropagationPolicy.Background, obj.Uid);
        }

        return objects.IsEmpty ? RemoveFinalizer(Crds, crd, CrdStrategy.CleanupFinalizer) | changed : changed;
    }

    private bool RemoveFinalizer(GroupResource resource, StoredObject obj, string finalizer) =>
        _registry.TryMutate(resource, obj.Key, Manager, o =>
        {
            var finalizers = JsonPaths.ArrayAt(o, "metadata", "finalizers");
            var found = finalizers?.FirstOrDefault(f => (string?)f == finalizer);
            if (found is null)
            {
                return false;
            }

            finalizers!.Remove(found);
            return true;
        });

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        try
        {
            await _loop;
        }
        catch (OperationCanceledException)
        {
        }

        _stop.Dispose();
    }
}
