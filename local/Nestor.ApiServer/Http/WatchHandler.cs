using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using Nestor.ApiServer.Registry;
using Nestor.ApiServer.Resources;
using Nestor.ApiServer.Storage;
using Nestor.ApiServer.Watch;

namespace Nestor.ApiServer.Http;

/// <summary>
/// Watch streams: newline-delimited JSON events ({"type":..., "object":...}) over a chunked 200 response.
/// resourceVersion unset or "0" starts with ADDED events for the current objects; "N" resumes after N from
/// the kept history, or gets an in-stream ERROR event with a 410 Expired Status when N is too old. Bookmarks
/// every <see cref="LocalApiServerOptions.BookmarkInterval"/> when allowWatchBookmarks=true; the stream ends
/// after timeoutSeconds (default: a random time between the configured minimum and twice it).
/// </summary>
internal sealed class WatchHandler(ObjectRegistry registry, LocalApiServerOptions options, CancellationToken shutdown)
{
    public async Task WatchAsync(HttpContext context, ResourceDefinition def, string ns, string? name, CancellationToken cancellationToken)
    {
        var query = context.Request.Query;
        var listOptions = ResourceHandler.ListOptionsFrom(query);
        listOptions.FieldSelector.Validate(def.SelectableFields.ToHashSet(StringComparer.Ordinal));
        var rvText = query["resourceVersion"].ToString();
        var sendInitialEvents = string.Equals(query["sendInitialEvents"], "true", StringComparison.OrdinalIgnoreCase);
        long? resumeFrom = null;
        if (!sendInitialEvents && rvText is not ("" or "0"))
        {
            resumeFrom = long.TryParse(rvText, CultureInfo.InvariantCulture, out var rv) && rv >= 0
                ? rv
                : throw ApiException.BadRequest($"resourceVersion: Invalid value: \"{rvText}\": must be a valid resource version");
        }

        var bookmarks = string.Equals(query["allowWatchBookmarks"], "true", StringComparison.OrdinalIgnoreCase);
        var timeout = int.TryParse(query["timeoutSeconds"], CultureInfo.InvariantCulture, out var seconds) && seconds > 0
            ? TimeSpan.FromSeconds(seconds)
            : options.DefaultWatchTimeout * (1 + Random.Shared.NextDouble());
        var asTable = Responses.PresentationOf(context.Request) == Presentation.Table;

        bool Filter(StoredObject o) =>
            (!def.Namespaced || ns.Length == 0 || o.Namespace == ns) && (name is null || o.Name == name) && ObjectRegistry.Matches(o, listOptions);

        Watcher? watcher = null;
        List<StoredObject> initial = [];
        long startRv = 0;
        JsonObject? expired = null;
        try
        {
            registry.Store.Read(state =>
            {
                watcher = registry.Store.Hub.Subscribe(state, def.GroupResource, Filter, resumeFrom, options.WatchBufferSize);
                startRv = state.ResourceVersion;
                if (resumeFrom is null)
                {
                    initial = state.Of(def.GroupResource).Values.Where(Filter).ToList();
                }

                return 0;
            });
        }
        catch (ApiException e) when (e.Code == 410)
        {
            expired = e.ToStatus();
        }

        var response = context.Response;
        response.StatusCode = 200;
        response.ContentType = Responses.Json;
        response.Headers.CacheControl = "no-cache, private";
        await response.StartAsync(cancellationToken);
        var stream = new WatchStream(response.Body, def, asTable, context.Request.Query["includeObject"]);
        if (expired is not null)
        {
            await stream.WriteAsync(new WatchMessage.Error(expired), cancellationToken);
            await response.Body.FlushAsync(cancellationToken);
            return;
        }

        using var lifetime = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, watcher!.Terminated, shutdown);
        lifetime.CancelAfter(timeout);
        using var bookmarkTimer = bookmarks ? new Timer(_ => RequestBookmark(watcher), null, options.BookmarkInterval, options.BookmarkInterval) : null;
        try
        {
            foreach (var obj in initial)
            {
                await stream.WriteAsync(new WatchMessage.Event("ADDED", obj), lifetime.Token);
            }

            if (sendInitialEvents && bookmarks)
            {
                await stream.WriteAsync(new WatchMessage.Bookmark(startRv, InitialEventsEnd: true), lifetime.Token);
            }

            await response.Body.FlushAsync(lifetime.Token);
            var reader = watcher.Reader;
            while (await reader.WaitToReadAsync(lifetime.Token))
            {
                while (reader.TryRead(out var message))
                {
                    await stream.WriteAsync(message, lifetime.Token);
                }

                await response.Body.FlushAsync(lifetime.Token);
            }
        }
        catch (OperationCanceledException)
        {
        }
        catch (IOException)
        {
        }
        finally
        {
            registry.Store.Hub.Unsubscribe(watcher);
            if (watcher.Abort)
            {
                context.Abort();
            }
        }
    }

    private void RequestBookmark(Watcher watcher) =>
        registry.Store.Read(state =>
        {
            if (state.ResourceVersion > watcher.StartAfter)
            {
                watcher.Send(new WatchMessage.Bookmark(state.ResourceVersion, InitialEventsEnd: false));
            }

            return 0;
        });

    private sealed class WatchStream(Stream body, ResourceDefinition def, bool asTable, string? includeObject)
    {
        private static readonly byte[] Newline = "\n"u8.ToArray();
        private bool _columnsSent;

        public async Task WriteAsync(WatchMessage message, CancellationToken cancellationToken)
        {
            using var buffer = new MemoryStream();
            await using (var writer = new Utf8JsonWriter(buffer, Json.JsonPaths.WriterOptions))
            {
                writer.WriteStartObject();
                switch (message)
                {
                    case WatchMessage.Event e:
                        writer.WriteString("type", e.Type);
                        writer.WritePropertyName("object");
                        if (asTable)
                        {
                            Responses.Table(def, [e.Object.Object], null, null, null, includeObject, withColumns: !_columnsSent).WriteTo(writer);
                            _columnsSent = true;
                        }
                        else
                        {
                            writer.WriteRawValue(Responses.ObjectBytes(def, e.Object), skipInputValidation: true);
                        }

                        break;
                    case WatchMessage.Bookmark b:
                        writer.WriteString("type", "BOOKMARK");
                        writer.WritePropertyName("object");
                        var metadata = new JsonObject { ["resourceVersion"] = b.ResourceVersion.ToString(CultureInfo.InvariantCulture), ["creationTimestamp"] = null };
                        if (b.InitialEventsEnd)
                        {
                            metadata["annotations"] = new JsonObject { ["k8s.io/initial-events-end"] = "true" };
                        }

                        new JsonObject { ["kind"] = def.Kind, ["apiVersion"] = def.ApiVersion, ["metadata"] = metadata }.WriteTo(writer);
                        break;
                    case WatchMessage.Error error:
                        writer.WriteString("type", "ERROR");
                        writer.WritePropertyName("object");
                        error.Status.WriteTo(writer);
                        break;
                }

                writer.WriteEndObject();
            }

            buffer.Write(Newline);
            await body.WriteAsync(buffer.GetBuffer().AsMemory(0, (int)buffer.Length), cancellationToken);
        }
    }
}
