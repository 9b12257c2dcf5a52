using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using Nestor.ApiServer.Json;

namespace Nestor.ApiServer.Http;

/// <summary>Reads request bodies with kube-apiserver's 3 MiB limit, accepting JSON or YAML.</summary>
internal static class RequestBody
{
    public const int MaxBytes = 3 * 1024 * 1024;

    public static async Task<byte[]> ReadAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        if (request.ContentLength > MaxBytes)
        {
            throw ApiException.TooLarge("the request is too large: limit is 3 MiB");
        }

        using var buffer = new MemoryStream();
        var chunk = new byte[81920];
        int read;
        while ((read = await request.Body.ReadAsync(chunk, cancellationToken)) > 0)
        {
            buffer.Write(chunk, 0, read);
            if (buffer.Length > MaxBytes)
            {
                throw ApiException.TooLarge("the request is too large: limit is 3 MiB");
            }
        }

        return buffer.ToArray();
    }

    public static JsonObject ParseObject(HttpRequest request, byte[] body)
    {
        if (body.Length == 0)
        {
            throw ApiException.BadRequest("the request body is empty");
        }

        var contentType = MediaType(request);
        if (contentType is "application/yaml" or "application/x-yaml" or "text/yaml")
        {
            return YamlJson.Parse(System.Text.Encoding.UTF8.GetString(body)) as JsonObject
                ?? throw ApiException.BadRequest("the request body must be an object");
        }

        if (contentType.Contains("protobuf", StringComparison.Ordinal))
        {
            throw ApiException.UnsupportedMediaType($"the body of the request was in an unknown format - accepted media types include: application/json, application/yaml");
        }

        return JsonPaths.ParseObject(body, "couldn't get version/kind; json parse error");
    }

    public static string MediaType(HttpRequest request)
    {
        var contentType = request.ContentType ?? "application/json";
        var semicolon = contentType.IndexOf(';', StringComparison.Ordinal);
        return (semicolon < 0 ? contentType : contentType[..semicolon]).Trim().ToLowerInvariant();
    }
}
