using System.Text.Json.Nodes;
using Nestor.ApiServer.Http;
using Nestor.ApiServer.Json;

namespace Nestor.ApiServer.Selectors;

/// <summary>
/// A field selector (field=value, field==value, field!=value, comma-separated). Fields are dotted paths
/// into the object; which ones a resource accepts is checked by <see cref="Validate"/>, like kube-apiserver.
/// </summary>
internal sealed class FieldSelector
{
    private sealed record Requirement(string Field, bool Equal, string Value);

    private readonly List<Requirement> _requirements;

    private FieldSelector(List<Requirement> requirements) => _requirements = requirements;

    public static readonly FieldSelector Everything = new([]);

    public bool IsEmpty => _requirements.Count == 0;

    /// <summary>The name the selector pins with metadata.name=, if any (lets a get-by-name watch stay cheap).</summary>
    public string? RequiredName => _requirements.FirstOrDefault(r => r.Field == "metadata.name" && r.Equal)?.Value;

    public static FieldSelector Parse(string? text)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return Everything;
        }

        var requirements = new List<Requirement>();
        foreach (var part in text.Split(','))
        {
            var term = part.Trim();
            if (term.Length == 0)
            {
                continue;
            }

            var (field, equal, value) = term.IndexOf("!=", StringComparison.Ordinal) is var ne and >= 0
                ? (term[..ne], false, term[(ne + 2)..])
                : term.IndexOf("==", StringComparison.Ordinal) is var eq2 and >= 0
                    ? (term[..eq2], true, term[(eq2 + 2)..])
                    : term.IndexOf('=', StringComparison.Ordinal) is var eq and >= 0
                        ? (term[..eq], true, term[(eq + 1)..])
                        : throw ApiException.BadRequest($"invalid selector: '{text}'; can't understand '{term}'");
            requirements.Add(new Requirement(field.Trim(), equal, value.Trim()));
        }

        return new FieldSelector(requirements);
    }

    public void Validate(IReadOnlyCollection<string> supported)
    {
        foreach (var r in _requirements)
        {
            if (r.Field is not ("metadata.name" or "metadata.namespace") && !supported.Contains(r.Field))
            {
                throw ApiException.BadRequest($"field label not supported: {r.Field}");
            }
        }
    }

    public bool Matches(JsonObject obj) => _requirements.All(r => (Value(obj, r.Field) == r.Value) == r.Equal);

    private static string Value(JsonObject obj, string field)
    {
        var node = JsonPaths.Get(obj, field.Split('.'));
        return node switch
        {
            null => "",
            JsonValue v when v.TryGetValue<string>(out var s) => s,
            JsonValue v => v.ToJsonString(),
            _ => node.ToJsonString(),
        };
    }
}
