using System.Buffers.Binary;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Nestor.Checkpoint.Safetensors;

/// <summary>
/// The safetensors header: an 8-byte little-endian length N, then N bytes of UTF-8 JSON mapping each tensor name to
/// <c>{"dtype", "shape", "data_offsets": [begin, end]}</c>, plus an optional <c>"__metadata__"</c> string map. The
/// data section follows; the tensors must tile it exactly (no gaps, no overlaps), as the reference implementation
/// requires.
/// </summary>
public static class SafetensorsHeader
{
    public const string MetadataKey = "__metadata__";

    /// <summary>Headers larger than this are rejected (the reference implementation's limit).</summary>
    public const long MaxHeaderBytes = 100_000_000;

    public static (IReadOnlyList<TensorInfo> Tensors, IReadOnlyDictionary<string, string> Metadata) Parse(
        ReadOnlySpan<byte> json, long dataLength, string filePath)
    {
        JsonObject root;
        try
        {
            root = JsonNode.Parse(json) as JsonObject ?? throw new CheckpointFormatException(filePath, "safetensors header is not a JSON object");
        }
        catch (JsonException e)
        {
            throw new CheckpointFormatException(filePath, $"safetensors header is not valid JSON (corrupt file?): {e.Message}", e);
        }

        try
        {
            return ParseRoot(root, dataLength, filePath);
        }
        catch (ArgumentException e)
        {
            // JsonObject reports a duplicated tensor name this way.
            throw new CheckpointFormatException(filePath, $"safetensors header is invalid: {e.Message}", e);
        }
    }

    private static (IReadOnlyList<TensorInfo>, IReadOnlyDictionary<string, string>) ParseRoot(JsonObject root, long dataLength, string filePath)
    {
        var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
        var tensors = new List<TensorInfo>();
        foreach (var (name, node) in root)
        {
            if (name == MetadataKey)
            {
                if (node is not JsonObject meta)
                {
                    throw new CheckpointFormatException(filePath, "__metadata__ must be an object of strings");
                }

                foreach (var (key, value) in meta)
                {
                    metadata[key] = value is JsonValue v && v.TryGetValue<string>(out var s)
                        ? s : throw new CheckpointFormatException(filePath, $"__metadata__ value '{key}' must be a string");
                }

                continue;
            }

            tensors.Add(ParseEntry(name, node, filePath));
        }

        Validate(tensors, dataLength, filePath);
        return (tensors, metadata);
    }

    /// <summary>The header bytes (length prefix included), padded with spaces to a multiple of 8.</summary>
    public static byte[] Serialize(IReadOnlyList<TensorInfo> tensors, IReadOnlyDictionary<string, string>? metadata)
    {
        var root = new JsonObject();
        if (metadata is { Count: > 0 })
        {
            var meta = new JsonObject();
            foreach (var (key, value) in metadata.OrderBy(kv => kv.Key, StringComparer.Ordinal))
            {
                meta[key] = value;
            }

            root[MetadataKey] = meta;
        }

        foreach (var t in tensors)
        {
            root[t.Name] = new JsonObject
            {
                ["dtype"] = t.DType.ToHeaderString(),
                ["shape"] = new JsonArray([.. t.Shape.Select(s => (JsonNode)s)]),
                ["data_offsets"] = new JsonArray(t.Begin, t.End),
            };
        }

        var json = Encoding.UTF8.GetBytes(root.ToJsonString());
        int padded = (json.Length + 7) / 8 * 8;
        var bytes = new byte[8 + padded];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, (ulong)padded);
        json.CopyTo(bytes, 8);
        bytes.AsSpan(8 + json.Length).Fill((byte)' ');
        return bytes;
    }

    private static TensorInfo ParseEntry(string name, JsonNode? node, string filePath)
    {
        CheckpointFormatException Bad(string what) => new(filePath, $"tensor '{name}': {what}");
        if (node is not JsonObject entry)
        {
            throw Bad("header entry must be an object");
        }

        var dtypeText = entry["dtype"] is JsonValue dv && dv.TryGetValue<string>(out var s) ? s : null;
        var dtype = dtypeText is null ? null : DTypes.TryParse(dtypeText);
        if (dtype is null)
        {
            throw Bad($"unsupported dtype {entry["dtype"]?.ToJsonString() ?? "(missing)"}; Nestor reads F32, BF16 and F16");
        }

        var shape = ReadLongs(entry["shape"]) ?? throw Bad("shape must be an array of non-negative integers");
        var offsets = ReadLongs(entry["data_offsets"]);
        if (offsets is not { Length: 2 } || offsets[1] < offsets[0])
        {
            throw Bad("data_offsets must be [begin, end] with begin <= end");
        }

        var info = new TensorInfo(name, dtype.Value, shape, offsets[0], offsets[1]);
        long expected;
        try
        {
            expected = checked(info.ElementCount * dtype.Value.Size());
        }
        catch (OverflowException)
        {
            throw Bad($"shape {info.ShapeText} is too large");
        }

        if (expected != info.ByteLength)
        {
            throw Bad($"shape {info.ShapeText} of {dtype} needs {expected} bytes but data_offsets [{info.Begin}, {info.End}] hold {info.ByteLength}");
        }

        return info;
    }

    private static long[]? ReadLongs(JsonNode? node)
    {
        if (node is not JsonArray array)
        {
            return null;
        }

        var result = new long[array.Count];
        for (int i = 0; i < result.Length; i++)
        {
            if (array[i] is not JsonValue v || !v.TryGetValue<long>(out var x) || x < 0)
            {
                return null;
            }

            result[i] = x;
        }

        return result;
    }

    private static void Validate(List<TensorInfo> tensors, long dataLength, string filePath)
    {
        long expectedBegin = 0;
        TensorInfo? previous = null;
        foreach (var t in tensors.OrderBy(t => t.Begin).ThenBy(t => t.End))
        {
            if (t.Begin < expectedBegin)
            {
                throw new CheckpointFormatException(filePath,
                    $"tensor '{t.Name}': data_offsets [{t.Begin}, {t.End}] overlap tensor '{previous!.Name}' [{previous.Begin}, {previous.End}]");
            }

            if (t.Begin > expectedBegin)
            {
                throw new CheckpointFormatException(filePath,
                    $"tensor '{t.Name}': data_offsets [{t.Begin}, {t.End}] leave a gap after byte {expectedBegin} of the data section");
            }

            if (t.End > dataLength)
            {
                throw new CheckpointFormatException(filePath,
                    $"tensor '{t.Name}': data_offsets [{t.Begin}, {t.End}] run past the end of the data section ({dataLength} bytes): the file is truncated or corrupt");
            }

            expectedBegin = t.End;
            previous = t;
        }

        if (expectedBegin != dataLength)
        {
            throw new CheckpointFormatException(filePath,
                $"the data section has {dataLength} bytes but the tensors cover {expectedBegin}: trailing bytes or a corrupt header");
        }
    }
}
