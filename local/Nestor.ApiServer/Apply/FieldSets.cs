using System.Text.Json.Nodes;
using Nestor.ApiServer.Resources;

namespace Nestor.ApiServer.Apply;

/// <summary>Field sets of objects and of the differences between two objects, following the type's list and map semantics.</summary>
internal static class FieldSets
{
    /// <summary>The fields an applied configuration sets: leaves, list items (by key or value), atomic lists and maps.</summary>
    public static FieldSet Of(JsonNode? node, TypeNode? type, bool markMaps = false)
    {
        var set = new FieldSet();
        Fill(set, node, type, markMaps);
        if (set.Children.Count == 0)
        {
            set.Member = true;
        }

        return set;
    }

    private static void Fill(FieldSet set, JsonNode? node, TypeNode? type, bool markMaps)
    {
        switch (node)
        {
            case JsonObject obj when !(type?.AtomicMap ?? false) && obj.Count > 0:
                if (markMaps && (type is null || type.Fields is null))
                {
                    set.Member = true;
                }

                foreach (var (key, value) in obj)
                {
                    var child = set.Child(FieldSet.FieldKey(key));
                    Fill(child, value, type?.Field(key), markMaps);
                    if (child.Children.Count == 0)
                    {
                        child.Member = true;
                    }
                }

                break;
            case JsonArray arr when type is { IsList: true, ListKind: ListKind.Map } && arr.All(i => i is JsonObject):
                foreach (var item in arr.OfType<JsonObject>())
                {
                    var child = set.Child(FieldSet.ItemKey(item, type.Keys));
                    child.Member = true;
                    Fill(child, item, type.Elements, markMaps);
                }

                break;
            case JsonArray arr when type is { IsList: true, ListKind: ListKind.Set }:
                foreach (var item in arr)
                {
                    set.Child(FieldSet.ValueKey(item)).Member = true;
                }

                break;
            default:
                set.Member = true;
                break;
        }
    }

    /// <summary>The paths added or changed from <paramref name="old"/> to <paramref name="updated"/>, and the paths removed.</summary>
    public static (FieldSet Changed, FieldSet Removed) Diff(JsonNode? old, JsonNode? updated, TypeNode? type)
    {
        var changed = new FieldSet();
        var removed = new FieldSet();
        DiffInto(changed, removed, old, updated, type);
        return (changed, removed);
    }

    private static void DiffInto(FieldSet changed, FieldSet removed, JsonNode? old, JsonNode? updated, TypeNode? type)
    {
        if (old is JsonObject oldObj && updated is JsonObject newObj && !(type?.AtomicMap ?? false))
        {
            foreach (var (key, value) in newObj)
            {
                var fieldType = type?.Field(key);
                var fieldKey = FieldSet.FieldKey(key);
                if (!oldObj.TryGetPropertyValue(key, out var before))
                {
                    changed.Children[fieldKey] = Of(value, fieldType, markMaps: true);
                    continue;
                }

                var c = new FieldSet();
                var r = new FieldSet();
                DiffInto(c, r, before, value, fieldType);
                if (!c.IsEmpty)
                {
                    changed.Children[fieldKey] = c;
                }

                if (!r.IsEmpty)
                {
                    removed.Children[fieldKey] = r;
                }
            }

            foreach (var (key, _) in oldObj)
            {
                if (!newObj.ContainsKey(key))
                {
                    removed.Child(FieldSet.FieldKey(key)).Member = true;
                }
            }

            return;
        }

        if (old is JsonArray oldArr && updated is JsonArray newArr && type is { IsList: true, ListKind: ListKind.Map } &&
            oldArr.All(i => i is JsonObject) && newArr.All(i => i is JsonObject))
        {
            var before = oldArr.OfType<JsonObject>().GroupBy(i => FieldSet.ItemKey(i, type.Keys)).ToDictionary(g => g.Key, g => g.First(), StringComparer.Ordinal);
            var after = newArr.OfType<JsonObject>().GroupBy(i => FieldSet.ItemKey(i, type.Keys)).ToDictionary(g => g.Key, g => g.First(), StringComparer.Ordinal);
            foreach (var (key, item) in after)
            {
                if (!before.TryGetValue(key, out var prior))
                {
                    var added = Of(item, type.Elements, markMaps: true);
                    added.Member = true;
                    changed.Children[key] = added;
                    continue;
                }

                var c = new FieldSet();
                var r = new FieldSet();
                DiffInto(c, r, prior, item, type.Elements);
                if (!c.IsEmpty)
                {
                    changed.Children[key] = c;
                }

                if (!r.IsEmpty)
                {
                    removed.Children[key] = r;
                }
            }

            foreach (var key in before.Keys.Where(k => !after.ContainsKey(k)))
            {
                removed.Child(key).Member = true;
            }

            return;
        }

        if (old is JsonArray oldSet && updated is JsonArray newSet && type is { IsList: true, ListKind: ListKind.Set })
        {
            foreach (var item in newSet.Where(i => !oldSet.Any(o => JsonNode.DeepEquals(o, i))))
            {
                changed.Child(FieldSet.ValueKey(item)).Member = true;
            }

            foreach (var item in oldSet.Where(o => !newSet.Any(i => JsonNode.DeepEquals(o, i))))
            {
                removed.Child(FieldSet.ValueKey(item)).Member = true;
            }

            return;
        }

        if (!JsonNode.DeepEquals(old, updated))
        {
            changed.Member = true;
        }
    }

    /// <summary>Removes the member paths of <paramref name="remove"/> from <paramref name="node"/>.</summary>
    public static void RemovePaths(JsonNode? node, FieldSet remove, TypeNode? type)
    {
        foreach (var (key, child) in remove.Children)
        {
            switch (key[0])
            {
                case 'f' when node is JsonObject obj:
                    var name = key[2..];
                    if (child.Member)
                    {
                        obj.Remove(name);
                    }
                    else
                    {
                        RemovePaths(obj[name], child, type?.Field(name));
                        if (obj[name] is JsonObject { Count: 0 })
                        {
                            // A map emptied by removing the fields a manager stopped applying goes too.
                            obj.Remove(name);
                        }
                    }

                    break;
                case 'k' when node is JsonArray arr && type is not null:
                    var item = arr.OfType<JsonObject>().FirstOrDefault(i => FieldSet.ItemKey(i, type.Keys) == key);
                    if (item is null)
                    {
                        break;
                    }

                    if (child.Member)
                    {
                        arr.Remove(item);
                    }
                    else
                    {
                        RemovePaths(item, child, type.Elements);
                    }

                    break;
                case 'v' when node is JsonArray values:
                    foreach (var match in values.Where(v => FieldSet.ValueKey(v) == key).ToList())
                    {
                        values.Remove(match);
                    }

                    break;
            }
        }
    }
}
