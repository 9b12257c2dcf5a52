using System.Net;
using k8s.Models;

namespace Nestor.Operator.Core.Kube;

/// <summary>A non-success answer from the API server, with its Status object when it sent one.</summary>
public class KubeApiException(HttpStatusCode statusCode, V1Status? status, string message)
    : Exception(message)
{
    public HttpStatusCode StatusCode { get; } = statusCode;

    public V1Status? Status { get; } = status;

    public string? Reason => Status?.Reason;

    public bool IsNotFound => StatusCode == HttpStatusCode.NotFound;

    public bool IsConflict => StatusCode == HttpStatusCode.Conflict && Reason != "AlreadyExists";

    public bool IsAlreadyExists => StatusCode == HttpStatusCode.Conflict && Reason == "AlreadyExists";

    public bool IsGone => StatusCode == HttpStatusCode.Gone || Reason is "Expired" or "Gone";

    /// <summary>Server-side trouble worth retrying with backoff: 429, 5xx.</summary>
    public bool IsTransient => StatusCode == HttpStatusCode.TooManyRequests || (int)StatusCode >= 500;
}

/// <summary>The watch stream reported an ERROR event, e.g. 410 Expired when the resourceVersion is too old.</summary>
public sealed class WatchErrorException(V1Status status)
    : KubeApiException((HttpStatusCode)(status.Code ?? 500), status, $"watch error {status.Code} {status.Reason}: {status.Message}");
