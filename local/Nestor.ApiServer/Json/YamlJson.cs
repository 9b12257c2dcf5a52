using System.Text.Json.Nodes;
using Nestor.Api.Manifests;

namespace Nestor.ApiServer.Json;

/// <summary>Request bodies in YAML (apply, patches): the shared reader, with its errors as 400 Bad Request.</summary>
internal static class YamlJson
{
    public static JsonNode? Parse(string text)
    {
        try
        {
            var documents = YamlToJson.ParseDocuments(text, "request body");
            return documents.Count == 0 ? null : documents[0];
        }
        catch (YamlToJsonException e)
        {
            throw Http.ApiException.BadRequest($"error converting YAML to JSON: {e.Message}");
        }
    }
}
