using System.Globalization;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using Nestor.ApiServer.Http;
using Nestor.ApiServer.Json;

namespace Nestor.ApiServer.Faults;

/// <summary>
/// The admin API under /_nestor (loopback only, like the server): fault injection and request counts.
/// <code>
/// GET    /_nestor/faults                       pending faults
/// DELETE /_nestor/faults                       clear pending faults
/// POST   /_nestor/faults/errors                {"count":5,"status":500,"verb":"list","resource":"pods","retryAfterSeconds":1}
/// POST   /_nestor/faults/delays                {"count":3,"milliseconds":2000,"verb":"get","resource":"configmaps"}
/// POST   /_nestor/faults/drop-watches[?abort=true]   -> {"dropped":N}
/// POST   /_nestor/faults/compact                -> {"compactedResourceVersion":N}
/// GET    /_nestor/requests                     {"total":..,"writes":..,"requests":{"list pods":3,...}}
/// DELETE /_nestor/requests                     reset the counts
/// </code>
/// </summary>
internal static class AdminEndpoints
{
    public static async Task<bool> TryHandleAsync(HttpContext context, FaultInjector faults, RequestCounter counter, CancellationToken cancellationToken)
    {
        var path = context.Request.Path.Value ?? "";
        if (!path.StartsWith("/_nestor/", StringComparison.Ordinal))
        {
            return false;
        }

        var method = context.Request.Method;
        JsonNode result;
        switch (path, method)
        {
            case ("/_nestor/faults", "GET"):
                result = faults.Describe();
                break;
            case ("/_nestor/faults", "DELETE"):
                faults.Clear();
                result = new JsonObject { ["cleared"] = true };
                break;
            case ("/_nestor/faults/errors", "POST"):
                {
                    var body = await BodyAsync(context, cancellationToken);
                    faults.FailNext((int)(JsonPaths.GetInt64(body, "count") ?? 1), (int)(JsonPaths.GetInt64(body, "status") ?? 500), Match(body),
                        (int?)JsonPaths.GetInt64(body, "retryAfterSeconds"));
                    result = faults.Describe();
                    break;
                }

            case ("/_nestor/faults/delays", "POST"):
                {
                    var body = await BodyAsync(context, cancellationToken);
                    faults.DelayNext((int)(JsonPaths.GetInt64(body, "count") ?? 1), TimeSpan.FromMilliseconds(JsonPaths.GetInt64(body, "milliseconds") ?? 1000), Match(body));
                    result = faults.Describe();
                    break;
                }

            case ("/_nestor/faults/drop-watches", "POST"):
                result = new JsonObject { ["dropped"] = faults.DropWatches(string.Equals(context.Request.Query["abort"], "true", StringComparison.OrdinalIgnoreCase)) };
                break;
            case ("/_nestor/faults/compact", "POST"):
                result = new JsonObject { ["compactedResourceVersion"] = faults.CompactHistory().ToString(CultureInfo.InvariantCulture) };
                break;
            case ("/_nestor/requests", "GET"):
                result = counter.ToJson();
                break;
            case ("/_nestor/requests", "DELETE"):
                counter.Reset();
                result = new JsonObject { ["reset"] = true };
                break;
            default:
                throw ApiException.NotFoundPath();
        }

        await Responses.WriteJsonAsync(context.Response, 200, result, cancellationToken);
        return true;
    }

    private static RequestMatch Match(JsonObject body) =>
        new(JsonPaths.GetString(body, "verb"), JsonPaths.GetString(body, "resource"), JsonPaths.GetString(body, "namespace"), JsonPaths.GetString(body, "subresource"));

    private static async Task<JsonObject> BodyAsync(HttpContext context, CancellationToken cancellationToken)
    {
        var bytes = await RequestBody.ReadAsync(context.Request, cancellationToken);
        return bytes.Length == 0 ? [] : JsonPaths.ParseObject(bytes, "fault");
    }
}
