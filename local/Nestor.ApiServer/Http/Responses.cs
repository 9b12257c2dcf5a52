using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using Nestor.ApiServer.Json;
using Nestor.ApiServer.Resources;
using Nestor.ApiServer.Storage;
using Nestor.ApiServer.Tables;

namespace Nestor.ApiServer.Http;

/// <summary>How the client asked to see objects (the Accept header's as= parameter).</summary>
internal enum Presentation
{
    Object,
    Table,
    PartialObjectMetadata,
}

/// <summary>Writes objects, lists, tables and Status errors as kube-apiserver's JSON.</summary>
internal static class Responses
{
    public const string Json = "application/json";

    public static Presentation PresentationOf(HttpRequest request)
    {
        var accept = request.Headers.Accept.ToString();
        if (accept.Contains("as=Table", StringComparison.Ordinal))
        {
            return Presentation.Table;
        }

        return accept.Contains("as=PartialObjectMetadata", StringComparison.Ordinal) ? Presentation.PartialObjectMetadata : Presentation.Object;
    }

    /// <summary>The object as served at <paramref name="def"/>'s version (custom resources stored at another version get its apiVersion).</summary>
    public static byte[] ObjectBytes(ResourceDefinition def, StoredObject stored)
    {
        if (JsonPaths.GetString(stored.Object, "apiVersion") == def.ApiVersion)
        {
            return stored.Utf8;
        }

        var copy = stored.Clone();
        copy["apiVersion"] = def.ApiVersion;
        return JsonSerializer.SerializeToUtf8Bytes(copy, JsonPaths.SerializerOptions);
    }

    public static JsonObject ObjectAtVersion(ResourceDefinition def, JsonObject obj)
    {
        if (JsonPaths.GetString(obj, "apiVersion") == def.ApiVersion)
        {
            return obj;
        }

        var copy = (JsonObject)obj.DeepClone();
        copy["apiVersion"] = def.ApiVersion;
        return copy;
    }

    public static async Task WriteJsonAsync(HttpResponse response, int status, JsonNode node, CancellationToken cancellationToken, string contentType = Json)
    {
        response.StatusCode = status;
        response.ContentType = contentType;
        await using var writer = new Utf8JsonWriter(response.Body, JsonPaths.WriterOptions);
        node.WriteTo(writer);
        await writer.FlushAsync(cancellationToken);
    }

    public static async Task WriteBytesAsync(HttpResponse response, int status, byte[] body, CancellationToken cancellationToken)
    {
        response.StatusCode = status;
        response.ContentType = Json;
        response.ContentLength = body.Length;
        await response.Body.WriteAsync(body, cancellationToken);
    }

    public static Task WriteStatusAsync(HttpResponse response, ApiException error, CancellationToken cancellationToken)
    {
        if (error.RetryAfterSeconds is { } retry)
        {
            response.Headers.RetryAfter = retry.ToString(CultureInfo.InvariantCulture);
        }

        return WriteJsonAsync(response, error.Code, error.ToStatus(), cancellationToken);
    }

    public static JsonObject Success(ResourceDefinition def, string name, string uid) => new()
    {
        ["kind"] = "Status",
        ["apiVersion"] = "v1",
        ["metadata"] = new JsonObject(),
        ["status"] = "Success",
        ["details"] = def.Group.Length == 0
            ? new JsonObject { ["name"] = name, ["kind"] = def.Plural, ["uid"] = uid }
            : new JsonObject { ["name"] = name, ["group"] = def.Group, ["kind"] = def.Plural, ["uid"] = uid },
    };

    public static async Task WriteListAsync(HttpResponse response, ResourceDefinition def, IReadOnlyList<StoredObject> items, long resourceVersion,
        string? continueToken, long? remaining, Presentation presentation, string? includeObject, CancellationToken cancellationToken)
    {
        if (presentation == Presentation.Table)
        {
            await WriteJsonAsync(response, 200, Table(def, items.Select(i => i.Object), resourceVersion, continueToken, remaining, includeObject, withColumns: true), cancellationToken);
            return;
        }

        response.StatusCode = 200;
        response.ContentType = Json;
        await using var writer = new Utf8JsonWriter(response.Body, JsonPaths.WriterOptions);
        writer.WriteStartObject();
        if (presentation == Presentation.PartialObjectMetadata)
        {
            writer.WriteString("kind", "PartialObjectMetadataList");
            writer.WriteString("apiVersion", "meta.k8s.io/v1");
        }
        else
        {
            writer.WriteString("kind", def.ListKind);
            writer.WriteString("apiVersion", def.ApiVersion);
        }

        writer.WritePropertyName("metadata");
        ListMeta(resourceVersion, continueToken, remaining).WriteTo(writer);
        writer.WritePropertyName("items");
        writer.WriteStartArray();
        foreach (var item in items)
        {
            if (presentation == Presentation.PartialObjectMetadata)
            {
                PartialObjectMetadata(def, item.Object).WriteTo(writer);
            }
            else
            {
                writer.WriteRawValue(ObjectBytes(def, item), skipInputValidation: true);
            }

            if (writer.BytesPending > 64 * 1024)
            {
                await writer.FlushAsync(cancellationToken);
            }
        }

        writer.WriteEndArray();
        writer.WriteEndObject();
        await writer.FlushAsync(cancellationToken);
    }

    private static JsonObject ListMeta(long resourceVersion, string? continueToken, long? remaining)
    {
        var meta = new JsonObject { ["resourceVersion"] = resourceVersion.ToString(CultureInfo.InvariantCulture) };
        if (continueToken is not null)
        {
            meta["continue"] = continueToken;
        }

        if (remaining is not null)
        {
            meta["remainingItemCount"] = remaining;
        }

        return meta;
    }

    public static JsonObject PartialObjectMetadata(ResourceDefinition def, JsonObject obj) => new()
    {
        ["kind"] = "PartialObjectMetadata",
        ["apiVersion"] = "meta.k8s.io/v1",
        ["metadata"] = obj["metadata"]?.DeepClone(),
    };

    /// <summary>A meta.k8s.io/v1 Table of <paramref name="objects"/> (includeObject: None, Metadata (default) or Object).</summary>
    public static JsonObject Table(ResourceDefinition def, IEnumerable<JsonObject> objects, long? resourceVersion, string? continueToken, long? remaining,
        string? includeObject, bool withColumns)
    {
        var now = DateTimeOffset.UtcNow;
        var rows = new JsonArray();
        foreach (var obj in objects)
        {
            var row = new JsonObject { ["cells"] = def.Table.Cells(obj, now) };
            switch (includeObject)
            {
                case "None":
                    break;
                case "Object":
                    row["object"] = ObjectAtVersion(def, obj).DeepClone();
                    break;
                default:
                    row["object"] = PartialObjectMetadata(def, obj);
                    break;
            }

            rows.Add(row);
        }

        var table = new JsonObject
        {
            ["kind"] = "Table",
            ["apiVersion"] = "meta.k8s.io/v1",
            ["metadata"] = resourceVersion is { } rv ? ListMeta(rv, continueToken, remaining) : new JsonObject(),
        };
        table["columnDefinitions"] = withColumns ? new JsonArray(def.Table.Columns.Select(c => (JsonNode)c.ToJson()).ToArray()) : null;
        table["rows"] = rows;
        return table;
    }
}
