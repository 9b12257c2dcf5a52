using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Nestor.ApiServer.Apply;

/// <summary>
/// A set of field paths in the FieldsV1 encoding of managedFields: children keyed "f:&lt;field&gt;",
/// "k:&lt;json of list-map keys&gt;", "v:&lt;json value&gt;" or "i:&lt;index&gt;"; <see cref="Member"/> is the "." entry
/// (the node itself belongs to the set; a childless node always does).
/// </summary>
internal sealed class FieldSet
{
    public SortedDictionary<string, FieldSet> Children { get; } = new(StringComparer.Ordinal);

    public bool Member { get; set; }

    public bool IsEmpty => !Member && Children.Count == 0;

    public FieldSet Child(string key)
    {
        if (!Children.TryGetValue(key, out var child))
        {
            child = new FieldSet();
            Children[key] = child;
        }

        return child;
    }

    public static FieldSet FromFieldsV1(JsonObject? json)
    {
        var set = new FieldSet();
        if (json is null)
        {
            return set;
        }

        foreach (var (key, value) in json)
        {
            if (key == ".")
            {
                set.Member = true;
                continue;
            }

            var child = FromFieldsV1(value as JsonObject);
            if (child.Children.Count == 0)
            {
                child.Member = true;
            }

            set.Children[key] = child;
        }

        return set;
    }

    public JsonObject ToFieldsV1()
    {
        var json = new JsonObject();
        if (Member && Children.Count > 0)
        {
            json["."] = new JsonObject();
        }

        foreach (var (key, child) in Children)
        {
            if (!child.IsEmpty)
            {
                json[key] = child.ToFieldsV1();
            }
        }

        return json;
    }

    public FieldSet Clone()
    {
        var copy = new FieldSet { Member = Member };
        foreach (var (key, child) in Children)
        {
            copy.Children[key] = child.Clone();
        }

        return copy;
    }

    public FieldSet Union(FieldSet other)
    {
        var result = Clone();
        result.Member |= other.Member;
        foreach (var (key, child) in other.Children)
        {
            result.Children[key] = result.Children.TryGetValue(key, out var mine) ? mine.Union(child) : child.Clone();
        }

        return result;
    }

    public FieldSet Intersect(FieldSet other)
    {
        var result = new FieldSet { Member = Member && other.Member };
        foreach (var (key, child) in Children)
        {
            if (other.Children.TryGetValue(key, out var theirs))
            {
                var both = child.Intersect(theirs);
                if (!both.IsEmpty)
                {
                    result.Children[key] = both;
                }
            }
        }

        return result;
    }

    public FieldSet Difference(FieldSet other)
    {
        var result = new FieldSet { Member = Member && !other.Member };
        foreach (var (key, child) in Children)
        {
            var rest = other.Children.TryGetValue(key, out var theirs) ? child.Difference(theirs) : child.Clone();
            if (!rest.IsEmpty)
            {
                result.Children[key] = rest;
            }
        }

        return result;
    }

    /// <summary>This set without every path at or below a member of <paramref name="removed"/>.</summary>
    public FieldSet WithoutSubtrees(FieldSet removed)
    {
        var result = new FieldSet { Member = Member && !removed.Member };
        foreach (var (key, child) in Children)
        {
            if (removed.Children.TryGetValue(key, out var gone))
            {
                if (gone.Member)
                {
                    continue;
                }

                var rest = child.WithoutSubtrees(gone);
                if (!rest.IsEmpty)
                {
                    result.Children[key] = rest;
                }
            }
            else
            {
                result.Children[key] = child.Clone();
            }
        }

        return result;
    }

    /// <summary>Member paths formatted like kube-apiserver's conflict messages: .spec.containers[name="app"].image.</summary>
    public IEnumerable<string> Paths(string prefix = "")
    {
        if (Member)
        {
            yield return prefix;
        }

        foreach (var (key, child) in Children)
        {
            foreach (var path in child.Paths(prefix + FormatElement(key)))
            {
                yield return path;
            }
        }
    }

    private static string FormatElement(string key)
    {
        var body = key[2..];
        switch (key[0])
        {
            case 'f':
                return "." + body;
            case 'v':
                return $"[={body}]";
            case 'i':
                return $"[{body}]";
            default:
                var sb = new StringBuilder("[");
                if (JsonNode.Parse(body) is JsonObject keys)
                {
                    sb.AppendJoin(',', keys.Select(k => $"{k.Key}={k.Value?.ToJsonString(JsonOptions)}"));
                }

                return sb.Append(']').ToString();
        }
    }

    private static readonly JsonSerializerOptions JsonOptions = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static string FieldKey(string name) => "f:" + name;

    public static string ValueKey(JsonNode? value) => "v:" + (value?.ToJsonString(JsonOptions) ?? "null");

    public static string ItemKey(JsonObject item, IReadOnlyList<string> keys)
    {
        var keyObject = new JsonObject();
        foreach (var k in keys)
        {
            keyObject[k] = item[k]?.DeepClone();
        }

        return "k:" + keyObject.ToJsonString(JsonOptions);
    }
}
