using System.Globalization;
using System.Text.Json.Nodes;
using Nestor.ApiServer.Http;

namespace Nestor.ApiServer.Patching;

/// <summary>RFC 6902 JSON patch (add, remove, replace, move, copy, test) with RFC 6901 pointers.</summary>
internal static class JsonPatch
{
    public static JsonNode? Apply(JsonNode? document, JsonNode? patch)
    {
        if (patch is not JsonArray operations)
        {
            throw ApiException.BadRequest("json patch: the patch must be a JSON array of operations");
        }

        var root = document?.DeepClone();
        foreach (var op in operations)
        {
            if (op is not JsonObject operation)
            {
                throw ApiException.BadRequest("json patch: every operation must be an object");
            }

            var name = (string?)operation["op"] ?? throw ApiException.BadRequest("json patch: an operation has no \"op\"");
            var path = (string?)operation["path"] ?? throw ApiException.BadRequest($"json patch: operation {name} has no \"path\"");
            switch (name)
            {
                case "add":
                    root = Add(root, path, Value(operation, name));
                    break;
                case "remove":
                    root = Remove(root, path, out _);
                    break;
                case "replace":
                    root = Remove(root, path, out _);
                    root = Add(root, path, Value(operation, name));
                    break;
                case "move":
                    {
                        var from = (string?)operation["from"] ?? throw ApiException.BadRequest("json patch: move has no \"from\"");
                        root = Remove(root, from, out var moved);
                        root = Add(root, path, moved);
                        break;
                    }

                case "copy":
                    {
                        var from = (string?)operation["from"] ?? throw ApiException.BadRequest("json patch: copy has no \"from\"");
                        root = Add(root, path, Resolve(root, from)?.DeepClone());
                        break;
                    }

                case "test":
                    if (!JsonNode.DeepEquals(Resolve(root, path), operation["value"]))
                    {
                        throw new ApiException(422, "Invalid", $"the server rejected our request due to an error in our request: testing value {path} failed");
                    }

                    break;
                default:
                    throw ApiException.BadRequest($"json patch: unexpected operation \"{name}\"");
            }
        }

        return root;
    }

    private static JsonNode? Value(JsonObject operation, string name) =>
        operation.TryGetPropertyValue("value", out var value) ? value?.DeepClone() : throw ApiException.BadRequest($"json patch: {name} has no \"value\"");

    private static List<string> Tokens(string pointer)
    {
        if (pointer.Length == 0)
        {
            return [];
        }

        if (pointer[0] != '/')
        {
            throw ApiException.BadRequest($"json patch: invalid pointer \"{pointer}\"");
        }

        return pointer[1..].Split('/').Select(t => t.Replace("~1", "/", StringComparison.Ordinal).Replace("~0", "~", StringComparison.Ordinal)).ToList();
    }

    private static JsonNode? Resolve(JsonNode? root, string pointer)
    {
        var node = root;
        foreach (var token in Tokens(pointer))
        {
            node = node switch
            {
                JsonObject obj when obj.TryGetPropertyValue(token, out var child) => child,
                JsonArray arr when int.TryParse(token, NumberStyles.None, CultureInfo.InvariantCulture, out var i) && i < arr.Count => arr[i],
                _ => throw new ApiException(422, "Invalid", $"the server rejected our request due to an error in our request: json patch: path {pointer} does not exist"),
            };
        }

        return node;
    }

    private static JsonNode? Add(JsonNode? root, string pointer, JsonNode? value)
    {
        var tokens = Tokens(pointer);
        if (tokens.Count == 0)
        {
            return value;
        }

        var parent = Resolve(root, "/" + string.Join('/', tokens[..^1].Select(Escape)));
        var last = tokens[^1];
        switch (parent)
        {
            case JsonObject obj:
                obj[last] = value;
                break;
            case JsonArray arr:
                if (last == "-")
                {
                    arr.Add(value);
                }
                else if (int.TryParse(last, NumberStyles.None, CultureInfo.InvariantCulture, out var i) && i <= arr.Count)
                {
                    arr.Insert(i, value);
                }
                else
                {
                    throw new ApiException(422, "Invalid", $"the server rejected our request due to an error in our request: json patch: index {last} out of range in {pointer}");
                }

                break;
            default:
                throw new ApiException(422, "Invalid", $"the server rejected our request due to an error in our request: json patch: cannot add at {pointer}");
        }

        return root;
    }

    private static JsonNode? Remove(JsonNode? root, string pointer, out JsonNode? removed)
    {
        var tokens = Tokens(pointer);
        if (tokens.Count == 0)
        {
            removed = root;
            return null;
        }

        var parent = Resolve(root, "/" + string.Join('/', tokens[..^1].Select(Escape)));
        var last = tokens[^1];
        switch (parent)
        {
            case JsonObject obj when obj.TryGetPropertyValue(last, out removed):
                obj.Remove(last);
                return root;
            case JsonArray arr when int.TryParse(last, NumberStyles.None, CultureInfo.InvariantCulture, out var i) && i < arr.Count:
                removed = arr[i];
                arr.RemoveAt(i);
                return root;
            default:
                throw new ApiException(422, "Invalid", $"the server rejected our request due to an error in our request: json patch: path {pointer} does not exist");
        }
    }

    private static string Escape(string token) => token.Replace("~", "~0", StringComparison.Ordinal).Replace("/", "~1", StringComparison.Ordinal);
}
