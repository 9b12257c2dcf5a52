using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Nestor.ApiServer.Discovery;
using Nestor.ApiServer.Faults;
using Nestor.ApiServer.Registry;

namespace Nestor.ApiServer.Http;

/// <summary>
/// The one request handler: health and version, discovery, OpenAPI, the admin API, and resource requests
/// (counted, then subject to injected delays and errors). Errors become metav1.Status responses.
/// </summary>
internal sealed class ApiRouter(ObjectRegistry registry, ResourceHandler resources, FaultInjector faults, RequestCounter counter, ILogger logger)
{
    public async Task HandleAsync(HttpContext context)
    {
        var cancellationToken = context.RequestAborted;
        try
        {
            await RouteAsync(context, cancellationToken);
        }
        catch (ApiException e)
        {
            if (!context.Response.HasStarted)
            {
                await Responses.WriteStatusAsync(context.Response, e, cancellationToken);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
#pragma warning disable CA1031 // any other failure is a 500 Status, as kube-apiserver answers
        catch (Exception e)
#pragma warning restore CA1031
        {
            logger.LogError(e, "{Method} {Path} failed", context.Request.Method, context.Request.Path);
            if (!context.Response.HasStarted)
            {
                await Responses.WriteStatusAsync(context.Response, ApiException.Internal(e.Message), cancellationToken);
            }
        }
    }

    private async Task RouteAsync(HttpContext context, CancellationToken cancellationToken)
    {
        var request = context.Request;
        var path = request.Path.Value ?? "/";
        var catalog = registry.Catalog;
        if (await AdminEndpoints.TryHandleAsync(context, faults, counter, cancellationToken))
        {
            return;
        }

        switch (path.TrimEnd('/'))
        {
            case "/healthz" or "/livez" or "/readyz":
                context.Response.ContentType = "text/plain";
                await context.Response.WriteAsync("ok", cancellationToken);
                return;
            case "/version":
                await Responses.WriteJsonAsync(context.Response, 200, DiscoveryDocuments.Version(), cancellationToken);
                return;
            case "/api":
                if (await TryAggregatedAsync(context, core: true, cancellationToken))
                {
                    return;
                }

                await Responses.WriteJsonAsync(context.Response, 200, DiscoveryDocuments.ApiVersions($"{request.Host}"), cancellationToken);
                return;
            case "/apis":
                if (await TryAggregatedAsync(context, core: false, cancellationToken))
                {
                    return;
                }

                await Responses.WriteJsonAsync(context.Response, 200, DiscoveryDocuments.GroupList(catalog), cancellationToken);
                return;
            case "/openapi/v2":
                if (request.Headers.Accept.ToString().Contains("protobuf", StringComparison.Ordinal))
                {
                    context.Response.ContentType = OpenApiDocuments.V2ProtobufContentType;
                    await context.Response.Body.WriteAsync(OpenApiDocuments.V2Protobuf, cancellationToken);
                    return;
                }

                await Responses.WriteJsonAsync(context.Response, 200, OpenApiDocuments.V2Json(), cancellationToken);
                return;
            case "/openapi/v3":
                await Responses.WriteJsonAsync(context.Response, 200, OpenApiDocuments.Index(catalog), cancellationToken);
                return;
        }

        var parts = path.Trim('/').Split('/');
        if (parts is ["openapi", "v3", "api", _] or ["openapi", "v3", "apis", _, _])
        {
            var (group, version) = parts.Length == 4 ? ("", parts[3]) : (parts[3], parts[4]);
            var doc = OpenApiDocuments.GroupVersion(catalog, group, version) ?? throw ApiException.NotFoundPath();
            await Responses.WriteJsonAsync(context.Response, 200, doc, cancellationToken);
            return;
        }

        if (request.Method == "GET" && parts is ["api", var v])
        {
            await Responses.WriteJsonAsync(context.Response, 200, DiscoveryDocuments.ResourceList(catalog, "", v) ?? throw ApiException.NotFoundPath(), cancellationToken);
            return;
        }

        if (request.Method == "GET" && parts is ["apis", var g])
        {
            await Responses.WriteJsonAsync(context.Response, 200, DiscoveryDocuments.Group(catalog, g) ?? throw ApiException.NotFoundPath(), cancellationToken);
            return;
        }

        if (request.Method == "GET" && parts is ["apis", var g2, var v2])
        {
            await Responses.WriteJsonAsync(context.Response, 200, DiscoveryDocuments.ResourceList(catalog, g2, v2) ?? throw ApiException.NotFoundPath(), cancellationToken);
            return;
        }

        var watchQuery = string.Equals(request.Query["watch"], "true", StringComparison.OrdinalIgnoreCase) || request.Query["watch"] == "1";
        var info = RequestInfo.Parse(request.Method, path, watchQuery) ?? throw ApiException.NotFoundPath();
        counter.Record(info.Verb, info.Resource, info.Subresource);
        var delay = faults.TakeDelay(info.Verb, info.Resource, info.Namespace, info.Subresource);
        if (delay > TimeSpan.Zero)
        {
            await Task.Delay(delay, cancellationToken);
        }

        if (faults.TakeError(info.Verb, info.Resource, info.Namespace, info.Subresource) is { } injected)
        {
            throw Injected(injected);
        }

        var def = catalog.Find(info.Group, info.Version, info.Resource) ?? throw ApiException.NotFoundPath();
        await resources.HandleAsync(context, info, def, cancellationToken);
    }

    private static ApiException Injected(InjectedError error) => error.StatusCode switch
    {
        429 => new ApiException(429, "TooManyRequests", "Too many requests, please try again later. (injected fault)",
            new System.Text.Json.Nodes.JsonObject { ["retryAfterSeconds"] = error.RetryAfterSeconds ?? 1 })
        { RetryAfterSeconds = error.RetryAfterSeconds ?? 1 },
        503 => new ApiException(503, "ServiceUnavailable", "the server is currently unable to handle the request (injected fault)") { RetryAfterSeconds = error.RetryAfterSeconds },
        504 => new ApiException(504, "Timeout", "the server was unable to return a response in the time allotted (injected fault)") { RetryAfterSeconds = error.RetryAfterSeconds },
        409 => new ApiException(409, "Conflict", "Operation cannot be fulfilled: the object has been modified; please apply your changes to the latest version and try again (injected fault)"),
        _ => new ApiException(error.StatusCode, error.StatusCode >= 500 ? "InternalError" : "BadRequest",
            $"Internal error occurred: injected fault (status {error.StatusCode})")
        { RetryAfterSeconds = error.RetryAfterSeconds },
    };

    private async Task<bool> TryAggregatedAsync(HttpContext context, bool core, CancellationToken cancellationToken)
    {
        var accept = context.Request.Headers.Accept.ToString();
        string? contentType = null;
        foreach (var candidate in accept.Split(','))
        {
            if (candidate.Contains("as=APIGroupDiscoveryList", StringComparison.Ordinal) && candidate.Contains("g=apidiscovery.k8s.io", StringComparison.Ordinal))
            {
                contentType = candidate.Contains("v=v2beta1", StringComparison.Ordinal) ? DiscoveryDocuments.AggregatedBetaContentType : DiscoveryDocuments.AggregatedContentType;
                break;
            }
        }

        if (contentType is null)
        {
            return false;
        }

        var apiVersion = contentType == DiscoveryDocuments.AggregatedContentType ? "apidiscovery.k8s.io/v2" : "apidiscovery.k8s.io/v2beta1";
        context.Response.Headers.Vary = "Accept";
        await Responses.WriteJsonAsync(context.Response, 200, DiscoveryDocuments.Aggregated(registry.Catalog, core, apiVersion), cancellationToken, contentType);
        return true;
    }
}
