using System.Globalization;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using Nestor.ApiServer.Json;
using Nestor.ApiServer.Registry;
using Nestor.ApiServer.Resources;
using Nestor.ApiServer.Selectors;

namespace Nestor.ApiServer.Http;

/// <summary>Serves the verbs of one resource request: get, list, create, update, patch, delete, deletecollection (watch: <see cref="WatchHandler"/>).</summary>
internal sealed class ResourceHandler(ObjectRegistry registry, WatchHandler watches, PodLogReader? podLogs)
{
    public async Task HandleAsync(HttpContext context, RequestInfo info, ResourceDefinition def, CancellationToken cancellationToken)
    {
        var request = context.Request;
        var ns = def.Namespaced ? info.Namespace : "";
        if (def.Namespaced && ns.Length == 0 && (info.Name is not null || info.Verb is "create"))
        {
            throw ApiException.NotFoundPath();
        }

        var sub = info.Subresource;
        if (sub == "log" && def.Group.Length == 0 && def.Plural == "pods" && info.Verb == "get")
        {
            await WritePodLogAsync(context, def, ns, info.Name!, cancellationToken);
            return;
        }

        if (sub is not null && !(sub == "status" && def.HasStatus || sub == "scale" && def.Scale is not null || sub == "finalize" && def.Plural == "namespaces"))
        {
            throw ApiException.NotFoundPath();
        }

        if (sub == "finalize")
        {
            sub = null;
        }

        if (!def.Verbs.Contains(info.Verb) && sub is null)
        {
            throw ApiException.MethodNotAllowed($"the server does not allow this method on the requested resource");
        }

        var query = request.Query;
        switch (info.Verb)
        {
            case "get":
                if (sub == "scale")
                {
                    await Responses.WriteJsonAsync(context.Response, 200, registry.GetScale(def, ns, info.Name!), cancellationToken);
                    return;
                }

                var stored = registry.Get(def, ns, info.Name!);
                if (Responses.PresentationOf(request) == Presentation.Table)
                {
                    await Responses.WriteJsonAsync(context.Response, 200, Responses.Table(def, [stored.Object], null, null, null, query["includeObject"], true), cancellationToken);
                }
                else
                {
                    await Responses.WriteBytesAsync(context.Response, 200, Responses.ObjectBytes(def, stored), cancellationToken);
                }

                return;
            case "list":
                var list = await registry.ListAsync(def, ns, ListOptionsFrom(query), cancellationToken);
                await Responses.WriteListAsync(context.Response, def, list.Items, list.ResourceVersion, list.Continue, list.RemainingItemCount,
                    Responses.PresentationOf(request), query["includeObject"], cancellationToken);
                return;
            case "watch":
                await watches.WatchAsync(context, def, ns, info.Name, cancellationToken);
                return;
        }

        var body = await RequestBody.ReadAsync(request, cancellationToken);
        var options = WriteOptionsFrom(request);
        switch (info.Verb)
        {
            case "create":
                var (created, _) = registry.Create(def, ns, RequestBody.ParseObject(request, body), options);
                await WriteObjectAsync(context, def, options, options.DryRun ? 201 : 201, created, cancellationToken);
                return;
            case "update" when sub == "scale":
                await WriteResultAsync(context, options, 200, registry.UpdateScale(def, ns, info.Name!, null, body, options), cancellationToken);
                return;
            case "update":
                var updated = registry.Update(def, ns, info.Name!, sub, RequestBody.ParseObject(request, body), options);
                await WriteObjectAsync(context, def, options, 200, updated, cancellationToken);
                return;
            case "patch" when sub == "scale":
                await WriteResultAsync(context, options, 200, registry.UpdateScale(def, ns, info.Name!, RequestBody.MediaType(request), body, options), cancellationToken);
                return;
            case "patch":
                var (patched, wasCreated) = registry.Patch(def, ns, info.Name!, sub, RequestBody.MediaType(request), body, options);
                await WriteObjectAsync(context, def, options, wasCreated ? 201 : 200, patched, cancellationToken);
                return;
            case "delete":
                var deleteOptions = DeleteOptionsFrom(query, body);
                var (deleted, gone) = registry.Delete(def, ns, info.Name!, deleteOptions);
                if (gone && !def.ReturnDeletedObject)
                {
                    await Responses.WriteJsonAsync(context.Response, 200, Responses.Success(def, info.Name!, JsonPaths.GetString(deleted, "metadata", "uid") ?? ""), cancellationToken);
                }
                else
                {
                    var accepted = !gone && deleteOptions.PropagationPolicy == PropagationPolicy.Foreground;
                    await WriteObjectAsync(context, def, options, accepted ? 202 : 200, deleted, cancellationToken);
                }

                return;
            case "deletecollection":
                var toDelete = await registry.ListAsync(def, ns, ListOptionsFrom(query), cancellationToken);
                var collectionOptions = DeleteOptionsFrom(query, body);
                var removed = new List<Storage.StoredObject>();
                foreach (var item in toDelete.Items)
                {
                    try
                    {
                        var (obj, _) = registry.Delete(def, item.Namespace, item.Name, collectionOptions);
                        removed.Add(new Storage.StoredObject((JsonObject)obj.DeepClone(), item.ResourceVersion));
                    }
                    catch (ApiException e) when (e.Code == 404)
                    {
                    }
                }

                await Responses.WriteListAsync(context.Response, def, removed, registry.Store.State.ResourceVersion, null, null, Presentation.Object, null, cancellationToken);
                return;
            default:
                throw ApiException.MethodNotAllowed($"the server does not allow this method on the requested resource");
        }
    }

    private static async Task WriteObjectAsync(HttpContext context, ResourceDefinition def, WriteOptions options, int status, JsonObject obj, CancellationToken cancellationToken) =>
        await WriteResultAsync(context, options, status, Responses.ObjectAtVersion(def, obj), cancellationToken);

    private static async Task WriteResultAsync(HttpContext context, WriteOptions options, int status, JsonNode node, CancellationToken cancellationToken)
    {
        foreach (var warning in options.Warnings.Distinct())
        {
            context.Response.Headers.Append("Warning", $"299 - \"{warning.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal)}\"");
        }

        await Responses.WriteJsonAsync(context.Response, status, node, cancellationToken);
    }

    public static ListOptions ListOptionsFrom(IQueryCollection query) => new()
    {
        LabelSelector = LabelSelector.Parse(query["labelSelector"]),
        FieldSelector = FieldSelector.Parse(query["fieldSelector"]),
        Limit = int.TryParse(query["limit"], CultureInfo.InvariantCulture, out var limit) && limit > 0 ? limit : null,
        Continue = query["continue"],
        ResourceVersion = query["resourceVersion"],
        ResourceVersionMatch = query["resourceVersionMatch"],
    };

    private static WriteOptions WriteOptionsFrom(HttpRequest request)
    {
        var query = request.Query;
        var validation = query["fieldValidation"].ToString() switch
        {
            "" or "Warn" => FieldValidation.Warn,
            "Strict" => FieldValidation.Strict,
            "Ignore" => FieldValidation.Ignore,
            var other => throw ApiException.BadRequest($"fieldValidation must be one of \"Ignore\", \"Warn\", or \"Strict\", not \"{other}\""),
        };
        if (query["dryRun"].Count > 0 && query["dryRun"].Any(v => v != "All"))
        {
            throw ApiException.BadRequest("dryRun: Unsupported value: only \"All\" is supported");
        }

        var manager = query["fieldManager"].ToString();
        if (manager.Length == 0)
        {
            var userAgent = request.Headers.UserAgent.ToString();
            manager = userAgent.Length == 0 ? "unknown" : userAgent.Split('/')[0];
            manager = manager[..Math.Min(128, manager.Length)];
            if (RequestBody.MediaType(request) == "application/apply-patch+yaml")
            {
                manager = "";
            }
        }

        return new WriteOptions
        {
            DryRun = query["dryRun"].Count > 0,
            FieldManager = manager.Length == 0 ? null : manager,
            FieldValidation = validation,
            Force = string.Equals(query["force"], "true", StringComparison.OrdinalIgnoreCase),
        };
    }

    private static DeleteOptions DeleteOptionsFrom(IQueryCollection query, byte[] body)
    {
        JsonObject? json = null;
        if (body.Length > 0)
        {
            json = JsonPaths.ParseObject(body, "DeleteOptions");
        }

        var policyText = JsonPaths.GetString(json, "propagationPolicy") ?? query["propagationPolicy"].ToString();
        var orphan = JsonPaths.GetBool(json, "orphanDependents") ??
                     (bool.TryParse(query["orphanDependents"], out var o) ? o : null);
        PropagationPolicy? policy = policyText switch
        {
            "Background" => PropagationPolicy.Background,
            "Foreground" => PropagationPolicy.Foreground,
            "Orphan" => PropagationPolicy.Orphan,
            "" => orphan switch
            {
                true => PropagationPolicy.Orphan,
                false => PropagationPolicy.Background,
                _ => null,
            },
            _ => throw ApiException.BadRequest($"propagationPolicy: Unsupported value: \"{policyText}\": supported values: \"Foreground\", \"Background\", \"Orphan\""),
        };
        var dryRun = query["dryRun"].Count > 0 || JsonPaths.ArrayAt(json, "dryRun") is { Count: > 0 };
        return new DeleteOptions
        {
            PropagationPolicy = policy,
            PreconditionUid = JsonPaths.GetString(json, "preconditions", "uid"),
            PreconditionResourceVersion = JsonPaths.GetString(json, "preconditions", "resourceVersion"),
            DryRun = dryRun,
        };
    }

    private async Task WritePodLogAsync(HttpContext context, ResourceDefinition def, string ns, string name, CancellationToken cancellationToken)
    {
        var pod = registry.Get(def, ns, name).Object;
        var containers = pod["spec"]?["containers"]?.AsArray().Select(c => c?["name"]?.GetValue<string>() ?? "").ToList() ?? [];
        var query = context.Request.Query;
        var container = query["container"].ToString() is { Length: > 0 } c ? c
            : containers.Count == 1 ? containers[0]
            : throw ApiException.BadRequest($"a container name must be specified for pod {name}, choose one of: [{string.Join(" ", containers)}]");
        if (!containers.Contains(container))
        {
            throw ApiException.BadRequest($"container {container} is not valid for pod {name}");
        }

        var previous = string.Equals(query["previous"], "true", StringComparison.OrdinalIgnoreCase);
        var text = podLogs is null
            ? throw ApiException.BadRequest($"pod {name}: no node runs this pod, so it has no logs (this API server runs no kubelet)")
            : await podLogs(pod, container, previous, cancellationToken)
              ?? throw ApiException.BadRequest(previous
                  ? $"previous terminated container \"{container}\" in pod \"{name}\" not found"
                  : $"container \"{container}\" in pod \"{name}\" is waiting to start");
        if (int.TryParse(query["tailLines"], NumberStyles.None, CultureInfo.InvariantCulture, out var tail))
        {
            var lines = text.Split('\n');
            var keep = text.EndsWith('\n') ? tail + 1 : tail;
            text = string.Join('\n', lines.Skip(Math.Max(0, lines.Length - keep)));
        }

        if (long.TryParse(query["limitBytes"], NumberStyles.None, CultureInfo.InvariantCulture, out var limit) && limit > 0)
        {
            var bytes = System.Text.Encoding.UTF8.GetBytes(text);
            text = bytes.Length <= limit ? text : System.Text.Encoding.UTF8.GetString(bytes, 0, (int)limit);
        }

        context.Response.StatusCode = 200;
        context.Response.ContentType = "text/plain";
        await context.Response.WriteAsync(text, cancellationToken);
    }
}
