using System.Text.Json;
using Microsoft.AspNetCore.Http;

namespace Nestor.Serving.Api;

/// <summary>An error answered in OpenAI's shape: <c>{"error": {"message", "type", "param", "code"}}</c>.</summary>
public sealed class ApiError(int status, string message, string type, string? param = null, string? code = null) : Exception(message)
{
    public int Status { get; } = status;

    public string Type { get; } = type;

    public string? Param { get; } = param;

    public string? Code { get; } = code;

    public TimeSpan? RetryAfter { get; init; }

    public static ApiError BadField(string param, string message) => new(400, message, "invalid_request_error", param);

    public static ApiError NotFound(string message, string param = "model") => new(404, message, "invalid_request_error", param, "model_not_found");

    public async Task WriteAsync(HttpResponse response, CancellationToken cancellationToken)
    {
        response.StatusCode = Status;
        if (RetryAfter is { } retry)
        {
            response.Headers.RetryAfter = Math.Max(1, (int)Math.Ceiling(retry.TotalSeconds)).ToString(System.Globalization.CultureInfo.InvariantCulture);
        }

        response.ContentType = "application/json";
        await response.WriteAsync(Json.Serialize(new { error = new { message = Message, type = Type, param = Param, code = Code } }), cancellationToken);
    }
}
