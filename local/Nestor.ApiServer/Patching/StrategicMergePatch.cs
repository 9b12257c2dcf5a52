using System.Text.Json.Nodes;
using Nestor.ApiServer.Http;
using Nestor.ApiServer.Resources;

namespace Nestor.ApiServer.Patching;

/// <summary>
/// Strategic merge patch for built-in kinds, as far as kubectl apply and controllers use it: maps merge
/// (null deletes); lists with a patch merge key merge item by item; primitive lists with the merge strategy
/// merge as sets; other lists are replaced. Directives: <c>$patch: replace|delete|merge</c>,
/// <c>$retainKeys</c>, <c>$deleteFromPrimitiveList/&lt;field&gt;</c> and <c>$setElementOrder/&lt;field&gt;</c>.
/// </summary>
internal static class StrategicMergePatch
{
    private const string PatchDirective = "$patch";
    private const string RetainKeys = "$retainKeys";
    private const string DeleteFromPrimitiveList = "$deleteFromPrimitiveList/";
    private const string SetElementOrder = "$setElementOrder/";

    public static JsonObject Apply(JsonObject original, JsonObject patch, TypeNode? schema) =>
        MergeMap((JsonObject)original.DeepClone(), patch, schema) ?? [];

    private static JsonObject? MergeMap(JsonObject target, JsonObject patch, TypeNode? schema)
    {
        switch ((string?)patch[PatchDirective])
        {
            case "replace":
                return Strip(patch);
            case "delete":
                return null;
        }

        if (patch[RetainKeys] is JsonArray retain)
        {
            var keep = retain.Select(k => (string?)k).ToHashSet(StringComparer.Ordinal);
            foreach (var key in target.Select(p => p.Key).ToList())
            {
                if (!keep.Contains(key))
                {
                    target.Remove(key);
                }
            }
        }

        foreach (var (key, value) in patch)
        {
            if (key is PatchDirective or RetainKeys || key.StartsWith(SetElementOrder, StringComparison.Ordinal))
            {
                continue;
            }

            if (key.StartsWith(DeleteFromPrimitiveList, StringComparison.Ordinal))
            {
                var field = key[DeleteFromPrimitiveList.Length..];
                if (target[field] is JsonArray list && value is JsonArray remove)
                {
                    foreach (var item in list.Where(i => remove.Any(r => JsonNode.DeepEquals(i, r))).ToList())
                    {
                        list.Remove(item);
                    }
                }

                continue;
            }

            var fieldSchema = schema?.Field(key);
            if (value is null)
            {
                target.Remove(key);
            }
            else if (value is JsonObject patchChild && !(fieldSchema?.AtomicMap ?? false))
            {
                var merged = target[key] is JsonObject existing
                    ? MergeMap((JsonObject)existing.DeepClone(), patchChild, fieldSchema)
                    : MergeMap([], patchChild, fieldSchema);
                if (merged is null)
                {
                    target.Remove(key);
                }
                else
                {
                    target[key] = merged;
                }
            }
            else if (value is JsonArray patchList)
            {
                target[key] = MergeList(target[key] as JsonArray, patchList, fieldSchema);
            }
            else
            {
                target[key] = value.DeepClone();
            }

            if (patch[SetElementOrder + key] is JsonArray order && target[key] is JsonArray result)
            {
                target[key] = Reorder(result, order, fieldSchema);
            }
        }

        return target;
    }

    private static JsonArray MergeList(JsonArray? target, JsonArray patch, TypeNode? schema)
    {
        if (patch.Any(i => i is JsonObject o && (string?)o[PatchDirective] == "replace"))
        {
            return new JsonArray(patch.Where(i => !(i is JsonObject o && (string?)o[PatchDirective] == "replace")).Select(i => Strip(i)).ToArray());
        }

        if (schema?.PatchMergeKey is { } mergeKey)
        {
            var result = target is null ? [] : (JsonArray)target.DeepClone();
            foreach (var item in patch)
            {
                if (item is not JsonObject patchItem)
                {
                    throw ApiException.BadRequest($"strategic merge patch: list items merged by \"{mergeKey}\" must be objects");
                }

                var key = patchItem[mergeKey];
                var index = IndexOf(result, mergeKey, key);
                if ((string?)patchItem[PatchDirective] == "delete")
                {
                    if (index >= 0)
                    {
                        result.RemoveAt(index);
                    }

                    continue;
                }

                if (index >= 0)
                {
                    var merged = MergeMap((JsonObject)result[index]!.DeepClone(), patchItem, schema.Elements);
                    if (merged is null)
                    {
                        result.RemoveAt(index);
                    }
                    else
                    {
                        result[index] = merged;
                    }
                }
                else
                {
                    result.Add(Strip(patchItem));
                }
            }

            return result;
        }

        if (schema?.PatchMergePrimitives ?? false)
        {
            var result = target is null ? [] : (JsonArray)target.DeepClone();
            foreach (var item in patch.Where(item => !result.Any(existing => JsonNode.DeepEquals(existing, item))))
            {
                result.Add(item?.DeepClone());
            }

            return result;
        }

        return new JsonArray(patch.Select(i => Strip(i)).ToArray());
    }

    private static JsonArray Reorder(JsonArray list, JsonArray order, TypeNode? schema)
    {
        var mergeKey = schema?.PatchMergeKey;
        var items = list.Select(i => i?.DeepClone()).ToList();
        var ordered = new List<JsonNode?>();
        foreach (var wanted in order)
        {
            var match = mergeKey is null
                ? items.FirstOrDefault(i => JsonNode.DeepEquals(i, wanted))
                : items.FirstOrDefault(i => i is JsonObject o && JsonNode.DeepEquals(o[mergeKey], (wanted as JsonObject)?[mergeKey]));
            if (match is not null)
            {
                items.Remove(match);
                ordered.Add(match);
            }
        }

        return new JsonArray([.. ordered, .. items]);
    }

    private static int IndexOf(JsonArray list, string mergeKey, JsonNode? key)
    {
        for (var i = 0; i < list.Count; i++)
        {
            if (list[i] is JsonObject o && JsonNode.DeepEquals(o[mergeKey], key))
            {
                return i;
            }
        }

        return -1;
    }

    /// <summary>Removes directives from a subtree that is inserted as a whole.</summary>
    private static T Strip<T>(T node) where T : JsonNode?
    {
        switch (node)
        {
            case JsonObject obj:
                var copy = new JsonObject();
                foreach (var (key, value) in obj)
                {
                    if (key is PatchDirective or RetainKeys || key.StartsWith(SetElementOrder, StringComparison.Ordinal) ||
                        key.StartsWith(DeleteFromPrimitiveList, StringComparison.Ordinal))
                    {
                        continue;
                    }

                    copy[key] = Strip(value);
                }

                return (T)(JsonNode)copy;
            case JsonArray arr:
                return (T)(JsonNode)new JsonArray(arr.Select(Strip).ToArray());
            default:
                return (T)node?.DeepClone()!;
        }
    }
}
