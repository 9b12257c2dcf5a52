using System.Globalization;
using System.Text.Json.Nodes;
using Nestor.ApiServer.Json;

namespace Nestor.ApiServer.Storage;

/// <summary>
/// An object as stored: its JSON (never mutated once stored; clone before changing) and the metadata the
/// store indexes. The JSON tree is fully materialised (System.Text.Json nodes parse lazily), so concurrent
/// readers are safe. <see cref="ResourceVersion"/> is the global revision of the write that produced it.
/// </summary>
internal sealed class StoredObject
{
    public StoredObject(JsonObject obj, long resourceVersion)
    {
        JsonPaths.Materialize(obj);
        Object = obj;
        Utf8 = System.Text.Json.JsonSerializer.SerializeToUtf8Bytes(obj, JsonPaths.SerializerOptions);
        ResourceVersion = resourceVersion;
        Namespace = JsonPaths.GetString(obj, "metadata", "namespace") ?? "";
        Name = JsonPaths.GetString(obj, "metadata", "name") ?? "";
        Uid = JsonPaths.GetString(obj, "metadata", "uid") ?? "";
        Labels = JsonPaths.StringMap(JsonPaths.Get(obj, "metadata", "labels"));
    }

    public JsonObject Object { get; }

    /// <summary>The object serialized (UTF-8 JSON), written as-is into responses and watch events.</summary>
    public byte[] Utf8 { get; }

    public long ResourceVersion { get; }

    public string Namespace { get; }

    public string Name { get; }

    public string Uid { get; }

    public IReadOnlyDictionary<string, string> Labels { get; }

    public ObjectKey Key => new(Namespace, Name);

    public JsonObject Clone() => (JsonObject)Object.DeepClone();

    /// <summary>A copy stamped with another resource version (a DELETED event carries the deleting revision).</summary>
    public StoredObject WithResourceVersion(long resourceVersion)
    {
        var copy = Clone();
        JsonPaths.Metadata(copy)["resourceVersion"] = resourceVersion.ToString(CultureInfo.InvariantCulture);
        return new StoredObject(copy, resourceVersion);
    }
}
