using System.Text.Json.Nodes;
using Nestor.ApiServer.Json;

namespace Nestor.ApiServer.Selectors;

/// <summary>A metav1.LabelSelector object (matchLabels and matchExpressions) evaluated against labels.</summary>
internal static class LabelSelectorObject
{
    public static bool Matches(JsonObject selector, IReadOnlyDictionary<string, string> labels)
    {
        foreach (var (key, value) in JsonPaths.StringMap(selector["matchLabels"]))
        {
            if (!labels.TryGetValue(key, out var actual) || actual != value)
            {
                return false;
            }
        }

        foreach (var expression in (JsonPaths.ArrayAt(selector, "matchExpressions") ?? []).OfType<JsonObject>())
        {
            var key = JsonPaths.GetString(expression, "key") ?? "";
            var values = JsonPaths.Strings(expression["values"]).ToList();
            var has = labels.TryGetValue(key, out var actual);
            var ok = JsonPaths.GetString(expression, "operator") switch
            {
                "In" => has && values.Contains(actual!),
                "NotIn" => !has || !values.Contains(actual!),
                "Exists" => has,
                "DoesNotExist" => !has,
                _ => false,
            };
            if (!ok)
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>The selector in label-selector string syntax (the scale subresource's status.selector).</summary>
    public static string ToSelectorString(JsonObject selector)
    {
        var parts = JsonPaths.StringMap(selector["matchLabels"]).OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => $"{p.Key}={p.Value}").ToList();
        foreach (var expression in (JsonPaths.ArrayAt(selector, "matchExpressions") ?? []).OfType<JsonObject>())
        {
            var key = JsonPaths.GetString(expression, "key");
            var values = string.Join(',', JsonPaths.Strings(expression["values"]));
            parts.Add(JsonPaths.GetString(expression, "operator") switch
            {
                "In" => $"{key} in ({values})",
                "NotIn" => $"{key} notin ({values})",
                "Exists" => $"{key}",
                _ => $"!{key}",
            });
        }

        return string.Join(',', parts);
    }
}
