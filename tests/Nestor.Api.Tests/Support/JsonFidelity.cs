using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Nestor.Api.Tests.Support;

/// <summary>
/// Compares a JSON document with what came back after a trip through a C# type: every field of the
/// input must be in the output with the same value. A field the type does not know is silently
/// dropped by System.Text.Json, so this is the check that a manifest has no unknown field.
/// </summary>
public static class JsonFidelity
{
    public static IReadOnlyList<string> Differences(JsonNode? input, JsonNode? output, string path = "")
    {
        var differences = new List<string>();
        Compare(input, output, path, differences);
        return differences;
    }

    private static void Compare(JsonNode? input, JsonNode? output, string path, List<string> differences)
    {
        switch (input)
        {
            case null:
                return;
            case JsonObject obj:
                if (output is not JsonObject outObj)
                {
                    differences.Add($"{path}: became {output?.ToJsonString() ?? "nothing"}");
                    return;
                }

                foreach (var (key, value) in obj)
                {
                    var child = path.Length == 0 ? key : $"{path}.{key}";
                    if (value is not null && !outObj.ContainsKey(key))
                    {
                        differences.Add($"{child}: dropped (unknown to the C# type)");
                    }
                    else
                    {
                        Compare(value, outObj[key], child, differences);
                    }
                }

                return;
            case JsonArray array:
                if (output is not JsonArray outArray || outArray.Count != array.Count)
                {
                    differences.Add($"{path}: became {output?.ToJsonString() ?? "nothing"}");
                    return;
                }

                for (var i = 0; i < array.Count; i++)
                {
                    Compare(array[i], outArray[i], $"{path}[{i}]", differences);
                }

                return;
        }

        if (!SameScalar(input.AsValue(), output as JsonValue))
        {
            differences.Add($"{path}: {input.ToJsonString()} became {output?.ToJsonString() ?? "nothing"}");
        }
    }

    private static bool SameScalar(JsonValue input, JsonValue? output)
    {
        if (output is null)
        {
            return false;
        }

        var a = JsonNode.Parse(input.ToJsonString())!.AsValue();
        var b = JsonNode.Parse(output.ToJsonString())!.AsValue();
        return (a.GetValueKind(), b.GetValueKind()) switch
        {
            (JsonValueKind.Number, JsonValueKind.Number) => a.GetValue<decimal>() == b.GetValue<decimal>(),
            // int-or-string fields (quantities): 2 and "2" are the same value.
            (JsonValueKind.Number, JsonValueKind.String) => a.GetValue<decimal>().ToString(CultureInfo.InvariantCulture) == b.GetValue<string>(),
            (JsonValueKind.String, JsonValueKind.String) when DateTimeOffset.TryParse(a.GetValue<string>(), CultureInfo.InvariantCulture, DateTimeStyles.None, out var x)
                && DateTimeOffset.TryParse(b.GetValue<string>(), CultureInfo.InvariantCulture, DateTimeStyles.None, out var y)
                && a.GetValue<string>().Contains('T', StringComparison.Ordinal) => x == y,
            _ => JsonNode.DeepEquals(a, b),
        };
    }
}
