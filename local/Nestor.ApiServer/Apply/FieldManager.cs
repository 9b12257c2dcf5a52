using System.Globalization;
using System.Text.Json.Nodes;
using Nestor.ApiServer.Http;
using Nestor.ApiServer.Json;
using Nestor.ApiServer.Resources;

namespace Nestor.ApiServer.Apply;

/// <summary>Which part of an object a write may touch: everything but status, only status, or everything.</summary>
internal enum FieldScope
{
    All,
    AllButStatus,
    StatusOnly,
}

/// <summary>
/// Server-side apply and managedFields tracking, after structured-merge-diff: an Update takes ownership of
/// the fields it changed (from every other manager); an Apply owns exactly the fields in its configuration,
/// conflicts with other managers that own a field it changes (409 unless force), and removes fields it
/// owned before and no longer applies when nobody else owns them.
/// </summary>
internal static class FieldManager
{
    private static readonly HashSet<string> UntrackedMetadata =
    [
        "name", "namespace", "uid", "resourceVersion", "generation", "creationTimestamp", "deletionTimestamp",
        "deletionGracePeriodSeconds", "managedFields", "selfLink", "generateName",
    ];

    /// <summary>The part of an object field management tracks.</summary>
    public static JsonObject Tracked(JsonObject? obj, FieldScope scope)
    {
        var result = new JsonObject();
        if (obj is null)
        {
            return result;
        }

        foreach (var (key, value) in obj)
        {
            if (key is "apiVersion" or "kind" || value is null)
            {
                continue;
            }

            if (scope == FieldScope.StatusOnly ? key != "status" : scope == FieldScope.AllButStatus && key == "status")
            {
                continue;
            }

            if (key == "metadata" && value is JsonObject metadata)
            {
                var kept = new JsonObject();
                foreach (var (mk, mv) in metadata)
                {
                    if (!UntrackedMetadata.Contains(mk) && mv is not null)
                    {
                        kept[mk] = mv.DeepClone();
                    }
                }

                if (kept.Count > 0)
                {
                    result[key] = kept;
                }

                continue;
            }

            result[key] = value.DeepClone();
        }

        return result;
    }

    /// <summary>Records an Update by <paramref name="manager"/> in <paramref name="updated"/>'s managedFields.</summary>
    public static void RecordUpdate(JsonObject? old, JsonObject updated, string manager, string? subresource, string apiVersion,
        TypeNode type, FieldScope scope, DateTimeOffset now)
    {
        var entries = ManagedFieldsEntry.Read(old);
        var (changed, removed) = FieldSets.Diff(Tracked(old, scope), Tracked(updated, scope), type);
        changed.Member = false;
        removed.Member = false;
        if (changed.IsEmpty && removed.IsEmpty)
        {
            ManagedFieldsEntry.Write(updated, entries);
            return;
        }

        foreach (var entry in entries)
        {
            entry.Fields = entry.Fields.WithoutSubtrees(removed);
            if (!entry.Matches(manager, "Update", subresource))
            {
                entry.Fields = entry.Fields.Difference(changed);
            }
        }

        var mine = entries.FirstOrDefault(e => e.Matches(manager, "Update", subresource));
        if (mine is null)
        {
            mine = new ManagedFieldsEntry { Manager = manager, Operation = "Update", ApiVersion = apiVersion, Subresource = subresource, Fields = new FieldSet() };
            entries.Add(mine);
        }

        mine.Fields = mine.Fields.Union(changed);
        mine.ApiVersion = apiVersion;
        mine.Time = JsonPaths.Timestamp(now);
        ManagedFieldsEntry.Write(updated, entries);
    }

    /// <summary>Applies <paramref name="config"/> to <paramref name="live"/> (null: create) and returns the merged object.</summary>
    public static JsonObject Apply(JsonObject? live, JsonObject config, string manager, bool force, string? subresource, string apiVersion,
        TypeNode type, FieldScope scope, DateTimeOffset now)
    {
        var entries = ManagedFieldsEntry.Read(live);
        var configTracked = Tracked(config, scope);
        var configSet = FieldSets.Of(configTracked, type);
        configSet.Member = false;

        var merged = live is null ? new JsonObject() : (JsonObject)live.DeepClone();
        MergeInto(merged, configTracked, type);
        var (changed, _) = FieldSets.Diff(Tracked(live, scope), Tracked(merged, scope), type);

        var conflicts = new List<(ManagedFieldsEntry Entry, FieldSet Fields)>();
        foreach (var entry in entries.Where(e => !e.Matches(manager, "Apply", subresource)))
        {
            var overlap = entry.Fields.Intersect(configSet).Intersect(changed);
            if (!overlap.IsEmpty)
            {
                conflicts.Add((entry, overlap));
            }
        }

        if (conflicts.Count > 0 && !force)
        {
            throw ConflictError(conflicts);
        }

        foreach (var (entry, fields) in conflicts)
        {
            entry.Fields = entry.Fields.Difference(fields);
        }

        var mine = entries.FirstOrDefault(e => e.Matches(manager, "Apply", subresource));
        var previous = mine?.Fields ?? new FieldSet();
        var others = entries.Where(e => e != mine).Aggregate(new FieldSet(), (acc, e) => acc.Union(e.Fields));
        var toRemove = previous.Difference(configSet).Difference(others);
        FieldSets.RemovePaths(merged, toRemove, type);

        if (mine is null)
        {
            mine = new ManagedFieldsEntry { Manager = manager, Operation = "Apply", ApiVersion = apiVersion, Subresource = subresource, Fields = configSet };
            entries.Add(mine);
        }

        mine.Fields = configSet;
        mine.ApiVersion = apiVersion;
        mine.Time = JsonPaths.Timestamp(now);
        ManagedFieldsEntry.Write(merged, entries);
        return merged;
    }

    private static ApiException ConflictError(List<(ManagedFieldsEntry Entry, FieldSet Fields)> conflicts)
    {
        var causes = new JsonArray();
        var lines = new List<string>();
        var total = 0;
        foreach (var (entry, fields) in conflicts)
        {
            var paths = fields.Paths().ToList();
            total += paths.Count;
            foreach (var path in paths)
            {
                causes.Add(new JsonObject { ["reason"] = "FieldManagerConflict", ["message"] = $"conflict with {entry.Describe()}", ["field"] = path });
            }

            lines.Add(paths.Count == 1
                ? $"conflict with {entry.Describe()}: {paths[0]}"
                : $"conflicts with {entry.Describe()}:\n" + string.Join('\n', paths.Select(p => "- " + p)));
        }

        var message = string.Create(CultureInfo.InvariantCulture, $"Apply failed with {total} conflict{(total == 1 ? "" : "s")}: ") + string.Join('\n', lines);
        return new ApiException(409, "Conflict", message, new JsonObject { ["causes"] = causes });
    }

    /// <summary>Merges an applied configuration into an object: maps per key, keyed lists per item, sets as unions, the rest replaced.</summary>
    private static void MergeInto(JsonObject target, JsonObject config, TypeNode? type)
    {
        foreach (var (key, value) in config)
        {
            target[key] = Merge(target[key], value, type?.Field(key));
        }
    }

    private static JsonNode? Merge(JsonNode? live, JsonNode? config, TypeNode? type)
    {
        switch (config)
        {
            case JsonObject configObject when live is JsonObject liveObject && !(type?.AtomicMap ?? false):
                var result = (JsonObject)liveObject.DeepClone();
                MergeInto(result, configObject, type);
                return result;
            case JsonArray configList when live is JsonArray liveList && type is { IsList: true, ListKind: ListKind.Map }:
                var merged = (JsonArray)liveList.DeepClone();
                foreach (var item in configList.OfType<JsonObject>())
                {
                    var key = FieldSet.ItemKey(item, type.Keys);
                    var index = merged.Select((m, i) => (m, i)).FirstOrDefault(p => p.m is JsonObject o && FieldSet.ItemKey(o, type.Keys) == key, (null, -1)).Item2;
                    if (index >= 0)
                    {
                        merged[index] = Merge(merged[index], item, type.Elements);
                    }
                    else
                    {
                        merged.Add(item.DeepClone());
                    }
                }

                return merged;
            case JsonArray configSet when live is JsonArray liveSet && type is { IsList: true, ListKind: ListKind.Set }:
                var union = (JsonArray)liveSet.DeepClone();
                foreach (var item in configSet.Where(i => !liveSet.Any(l => JsonNode.DeepEquals(l, i))))
                {
                    union.Add(item?.DeepClone());
                }

                return union;
            default:
                return config?.DeepClone();
        }
    }
}
