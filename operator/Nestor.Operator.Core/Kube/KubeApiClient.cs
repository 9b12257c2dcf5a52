using System.Net;
using System.Net.Http.Headers;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;
using k8s;
using k8s.Models;
using Nestor.Operator.Core.Metrics;

namespace Nestor.Operator.Core.Kube;

public sealed record ListOptions(
    string? Namespace = null,
    string? LabelSelector = null,
    string? FieldSelector = null,
    string? ResourceVersion = null,
    int? Limit = null,
    string? Continue = null);

public sealed record WatchOptions(
    string? Namespace,
    string ResourceVersion,
    TimeSpan ServerTimeout,
    string? LabelSelector = null,
    string? FieldSelector = null,
    bool AllowBookmarks = true);

public enum PatchKind
{
    Merge,
    Json,
    StrategicMerge,
    Apply,
}

/// <summary>
/// A thin REST client for any kind, built on KubernetesClient's configuration, credentials, HTTP
/// pipeline and models. KubernetesClient's GenericClient cannot pass a resourceVersion, bookmarks or
/// a server timeout to a watch, and its watcher hands in-stream errors (410 Gone) to a callback
/// and ends quietly; this client surfaces them as <see cref="WatchErrorException"/> instead.
/// </summary>
public sealed class KubeApiClient : IDisposable
{
    public const string DefaultFieldManager = "nestor-operator";
    private static readonly TimeSpan RequestTimeout = TimeSpan.FromSeconds(30);

    private readonly Kubernetes _kubernetes;
    private readonly HttpClient _http;
    private readonly OperatorMetrics? _metrics;

    public KubeApiClient(KubernetesClientConfiguration configuration, OperatorMetrics? metrics = null, string fieldManager = DefaultFieldManager)
    {
        FieldManager = fieldManager;
        _kubernetes = new Kubernetes(configuration);
        // The client's HttpClient carries the TLS and client-certificate setup and has no timeout
        // (watches are long); every other request gets its own deadline below.
        _http = _kubernetes.HttpClient;
        _metrics = metrics;
        BaseUri = _kubernetes.BaseUri;
    }

    public Uri BaseUri { get; }

    /// <summary>The field manager named on every write (server-side apply ownership, managedFields).</summary>
    public string FieldManager { get; }

    /// <summary>The typed KubernetesClient for the calls this client does not cover (leases for leader election).</summary>
    public IKubernetes Kubernetes => _kubernetes;

    public async Task<ListPage<T>> ListAsync<T>(ResourceType type, ListOptions options, CancellationToken cancellationToken)
        where T : class
    {
        var query = new Query()
            .Add("labelSelector", options.LabelSelector)
            .Add("fieldSelector", options.FieldSelector)
            .Add("resourceVersion", options.ResourceVersion)
            .Add("limit", options.Limit?.ToString(System.Globalization.CultureInfo.InvariantCulture))
            .Add("continue", options.Continue);
        using var response = await SendAsync(HttpMethod.Get, "list", type, type.PathFor(options.Namespace) + query, null, null, cancellationToken);
        using var document = await JsonDocument.ParseAsync(await response.Content.ReadAsStreamAsync(cancellationToken), cancellationToken: cancellationToken);
        var root = document.RootElement;
        var items = new List<T>();
        if (root.TryGetProperty("items", out var array) && array.ValueKind == JsonValueKind.Array)
        {
            foreach (var item in array.EnumerateArray())
            {
                var obj = KubernetesJson.Deserialize<T>(item.GetRawText());
                SetTypeMeta(obj, type);
                items.Add(obj);
            }
        }

        var metadata = root.TryGetProperty("metadata", out var m) ? m : default;
        string resourceVersion = metadata.ValueKind == JsonValueKind.Object && metadata.TryGetProperty("resourceVersion", out var rv) ? rv.GetString() ?? "" : "";
        string? next = metadata.ValueKind == JsonValueKind.Object && metadata.TryGetProperty("continue", out var c) ? c.GetString() : null;
        return new ListPage<T>(items, resourceVersion, string.IsNullOrEmpty(next) ? null : next);
    }

    /// <summary>Lists every page (limit/continue) and returns all items with the first page's resourceVersion.</summary>
    public async Task<ListPage<T>> ListAllAsync<T>(ResourceType type, ListOptions options, int pageSize, CancellationToken cancellationToken)
        where T : class
    {
        var items = new List<T>();
        string? resourceVersion = null;
        string? next = null;
        do
        {
            var page = await ListAsync<T>(type, options with { Limit = pageSize, Continue = next }, cancellationToken);
            items.AddRange(page.Items);
            resourceVersion ??= page.ResourceVersion;
            next = page.Continue;
        }
        while (next is not null);

        return new ListPage<T>(items, resourceVersion ?? "", null);
    }

    /// <summary>
    /// Opens a watch and yields its events until the server ends the stream. An ERROR event is thrown
    /// as <see cref="WatchErrorException"/> (410 Expired: relist). Cancel the token to stop.
    /// </summary>
    public async IAsyncEnumerable<WatchEvent<T>> WatchAsync<T>(ResourceType type, WatchOptions options,
        [EnumeratorCancellation] CancellationToken cancellationToken)
        where T : class
    {
        var query = new Query()
            .Add("watch", "true")
            .Add("resourceVersion", options.ResourceVersion)
            .Add("allowWatchBookmarks", options.AllowBookmarks ? "true" : null)
            .Add("timeoutSeconds", ((int)Math.Max(1, options.ServerTimeout.TotalSeconds)).ToString(System.Globalization.CultureInfo.InvariantCulture))
            .Add("labelSelector", options.LabelSelector)
            .Add("fieldSelector", options.FieldSelector);
        using var response = await SendAsync(HttpMethod.Get, "watch", type, type.PathFor(options.Namespace) + query, null, null, cancellationToken, streaming: true);
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(cancellationToken), Encoding.UTF8);
        while (true)
        {
            var line = await reader.ReadLineAsync(cancellationToken);
            if (line is null)
            {
                yield break;
            }

            if (line.Length == 0)
            {
                continue;
            }

            yield return ParseWatchLine<T>(type, line);
        }
    }

    public async Task<T?> GetAsync<T>(ResourceType type, string? @namespace, string name, CancellationToken cancellationToken)
        where T : class
    {
        try
        {
            using var response = await SendAsync(HttpMethod.Get, "get", type, type.PathFor(@namespace, name), null, null, cancellationToken);
            return await ReadObjectAsync<T>(type, response, cancellationToken);
        }
        catch (KubeApiException e) when (e.IsNotFound)
        {
            return null;
        }
    }

    public async Task<T> CreateAsync<T>(ResourceType type, T obj, CancellationToken cancellationToken)
        where T : class, IKubernetesObject<V1ObjectMeta>
    {
        SetTypeMeta(obj, type);
        using var response = await SendAsync(HttpMethod.Post, "create", type, type.PathFor(obj.Metadata.NamespaceProperty) + FieldManagerQuery(),
            JsonBody(obj), null, cancellationToken);
        return await ReadObjectAsync<T>(type, response, cancellationToken);
    }

    /// <summary>PUT of the whole object (or of its status subresource), guarded by metadata.resourceVersion.</summary>
    public async Task<T> ReplaceAsync<T>(ResourceType type, T obj, CancellationToken cancellationToken, bool status = false)
        where T : class, IKubernetesObject<V1ObjectMeta>
    {
        SetTypeMeta(obj, type);
        var path = type.PathFor(obj.Metadata.NamespaceProperty, obj.Metadata.Name, status ? "status" : null) + FieldManagerQuery();
        using var response = await SendAsync(HttpMethod.Put, status ? "update-status" : "update", type, path, JsonBody(obj), null, cancellationToken);
        return await ReadObjectAsync<T>(type, response, cancellationToken);
    }

    public async Task<T> PatchAsync<T>(ResourceType type, string? @namespace, string name, PatchKind kind, string body,
        CancellationToken cancellationToken, string? subresource = null, bool force = false)
        where T : class
    {
        var contentType = kind switch
        {
            PatchKind.Merge => "application/merge-patch+json",
            PatchKind.Json => "application/json-patch+json",
            PatchKind.StrategicMerge => "application/strategic-merge-patch+json",
            _ => "application/apply-patch+yaml",
        };
        var query = FieldManagerQuery() + (force ? "&force=true" : "");
        using var content = new StringContent(body, Encoding.UTF8);
        content.Headers.ContentType = new MediaTypeHeaderValue(contentType);
        using var response = await SendAsync(HttpMethod.Patch, subresource is null ? "patch" : "patch-" + subresource, type,
            type.PathFor(@namespace, name, subresource) + query, content, null, cancellationToken);
        return await ReadObjectAsync<T>(type, response, cancellationToken);
    }

    /// <summary>Deletes an object; returns false when it was already gone.</summary>
    public async Task<bool> DeleteAsync(ResourceType type, string? @namespace, string name, CancellationToken cancellationToken,
        string propagationPolicy = "Background", string? uid = null)
    {
        var options = new V1DeleteOptions { PropagationPolicy = propagationPolicy };
        if (uid is not null)
        {
            options.Preconditions = new V1Preconditions { Uid = uid };
        }

        try
        {
            using var response = await SendAsync(HttpMethod.Delete, "delete", type, type.PathFor(@namespace, name),
                new StringContent(KubernetesJson.Serialize(options), Encoding.UTF8, "application/json"), null, cancellationToken);
            return true;
        }
        catch (KubeApiException e) when (e.IsNotFound)
        {
            return false;
        }
    }

    /// <summary>GET of any path (e.g. a pod's /metrics through no proxy is not this; this is for API paths such as /version).</summary>
    public async Task<string> GetRawAsync(string path, CancellationToken cancellationToken)
    {
        using var response = await SendAsync(HttpMethod.Get, "get", null, path, null, null, cancellationToken);
        return await response.Content.ReadAsStringAsync(cancellationToken);
    }

    public void Dispose() => _kubernetes.Dispose();

    private async Task<HttpResponseMessage> SendAsync(HttpMethod method, string verb, ResourceType? type, string pathAndQuery,
        HttpContent? content, string? accept, CancellationToken cancellationToken, bool streaming = false)
    {
        using var request = new HttpRequestMessage(method, new Uri(BaseUri, pathAndQuery)) { Content = content };
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue(accept ?? "application/json"));
        if (_kubernetes.Credentials is not null)
        {
            await _kubernetes.Credentials.ProcessHttpRequestAsync(request, cancellationToken);
        }

        using var deadline = streaming ? null : CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline?.CancelAfter(RequestTimeout);
        HttpResponseMessage response;
        try
        {
            response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, deadline?.Token ?? cancellationToken);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            _metrics?.ApiRequest(verb, type?.GroupResource ?? "", "timeout");
            throw new KubeApiException(HttpStatusCode.GatewayTimeout, null, $"{method} {pathAndQuery}: no answer within {RequestTimeout.TotalSeconds:0} s");
        }
        catch (HttpRequestException e)
        {
            _metrics?.ApiRequest(verb, type?.GroupResource ?? "", "error");
            throw new KubeApiException(HttpStatusCode.ServiceUnavailable, null, $"{method} {pathAndQuery}: {e.Message}");
        }

        _metrics?.ApiRequest(verb, type?.GroupResource ?? "", ((int)response.StatusCode).ToString(System.Globalization.CultureInfo.InvariantCulture));
        if (response.IsSuccessStatusCode)
        {
            return response;
        }

        using (response)
        {
            var body = await response.Content.ReadAsStringAsync(cancellationToken);
            V1Status? status = null;
            try
            {
                status = KubernetesJson.Deserialize<V1Status>(body);
            }
            catch (JsonException)
            {
            }

            throw new KubeApiException(response.StatusCode, status,
                $"{method} {pathAndQuery}: {(int)response.StatusCode} {status?.Reason} {status?.Message ?? Truncate(body)}".TrimEnd());
        }
    }

    private static WatchEvent<T> ParseWatchLine<T>(ResourceType type, string line)
        where T : class
    {
        using var document = JsonDocument.Parse(line);
        var root = document.RootElement;
        var kind = root.GetProperty("type").GetString();
        var obj = root.GetProperty("object");
        switch (kind)
        {
            case "ERROR":
                throw new WatchErrorException(KubernetesJson.Deserialize<V1Status>(obj.GetRawText()));
            case "BOOKMARK":
                return new WatchEvent<T>(WatchEventKind.Bookmark, null,
                    obj.GetProperty("metadata").GetProperty("resourceVersion").GetString());
            default:
                var value = KubernetesJson.Deserialize<T>(obj.GetRawText());
                SetTypeMeta(value, type);
                var eventKind = kind switch
                {
                    "ADDED" => WatchEventKind.Added,
                    "MODIFIED" => WatchEventKind.Modified,
                    "DELETED" => WatchEventKind.Deleted,
                    _ => throw new JsonException($"unknown watch event type '{kind}'"),
                };
                return new WatchEvent<T>(eventKind, value, (value as IMetadata<V1ObjectMeta>)?.Metadata?.ResourceVersion);
        }
    }

    private static async Task<T> ReadObjectAsync<T>(ResourceType type, HttpResponseMessage response, CancellationToken cancellationToken)
        where T : class
    {
        var obj = KubernetesJson.Deserialize<T>(await response.Content.ReadAsStringAsync(cancellationToken));
        SetTypeMeta(obj, type);
        return obj;
    }

    private static void SetTypeMeta<T>(T obj, ResourceType type)
    {
        if (obj is IKubernetesObject typed)
        {
            typed.ApiVersion ??= type.ApiVersion;
            typed.Kind ??= type.Kind;
        }
    }

    private static StringContent JsonBody(object obj) => new(KubernetesJson.Serialize(obj), Encoding.UTF8, "application/json");

    private string FieldManagerQuery() => "?fieldManager=" + Uri.EscapeDataString(FieldManager);

    private static string Truncate(string text) => text.Length <= 300 ? text : text[..300] + "...";

    private sealed class Query
    {
        private readonly StringBuilder _builder = new();

        public Query Add(string name, string? value)
        {
            if (!string.IsNullOrEmpty(value))
            {
                _builder.Append(_builder.Length == 0 ? '?' : '&').Append(name).Append('=').Append(Uri.EscapeDataString(value));
            }

            return this;
        }

        public override string ToString() => _builder.ToString();
    }
}
