using System.Text.Json.Nodes;

namespace Nestor.Checkpoint.Safetensors;

/// <summary>
/// Writes safetensors files: a single <c>model.safetensors</c>, or shards <c>model-0000i-of-0000N.safetensors</c>
/// with <c>model.safetensors.index.json</c>. Every file is flushed to disk before the call returns.
/// </summary>
public static class SafetensorsWriter
{
    public const string SingleFileName = "model.safetensors";
    public const string IndexFileName = "model.safetensors.index.json";

    /// <summary>Hugging Face's default shard size.</summary>
    public const long DefaultMaxShardBytes = 5L * 1000 * 1000 * 1000;

    private static readonly Dictionary<string, string> PtFormat = new() { ["format"] = "pt" };

    /// <summary>Writes one safetensors file. Tensors are stored in the order given; names must be unique.</summary>
    public static void WriteFile(string path, IReadOnlyList<TensorToWrite> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        var duplicate = tensors.GroupBy(t => t.Name, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null)
        {
            throw new ArgumentException($"{path}: tensor '{duplicate.Key}' is given twice");
        }

        var infos = new List<TensorInfo>(tensors.Count);
        long offset = 0;
        foreach (var t in tensors)
        {
            infos.Add(new TensorInfo(t.Name, t.DType, t.Shape, offset, offset + t.ByteLength));
            offset += t.ByteLength;
        }

        var header = SafetensorsHeader.Serialize(infos, metadata ?? PtFormat);
        using var stream = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None, bufferSize: 1 << 20);
        stream.Write(header);
        foreach (var t in tensors)
        {
            long before = stream.Position;
            t.WriteData(stream);
            long written = stream.Position - before;
            if (written != t.ByteLength)
            {
                throw new InvalidOperationException($"{path}: tensor '{t.Name}' wrote {written} bytes, its shape needs {t.ByteLength}");
            }
        }

        stream.Flush(flushToDisk: true);
    }

    /// <summary>
    /// Writes the weights of a checkpoint into <paramref name="folder"/>: one <c>model.safetensors</c> when they fit in
    /// <paramref name="maxShardBytes"/>, otherwise shards plus the index. Returns the file names written.
    /// </summary>
    public static IReadOnlyList<string> WriteCheckpoint(string folder, IReadOnlyList<TensorToWrite> tensors,
        long maxShardBytes = DefaultMaxShardBytes, IReadOnlyDictionary<string, string>? metadata = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxShardBytes, 1);
        var shards = new List<List<TensorToWrite>> { new() };
        long shardBytes = 0;
        foreach (var t in tensors)
        {
            if (shards[^1].Count > 0 && shardBytes + t.ByteLength > maxShardBytes)
            {
                shards.Add([]);
                shardBytes = 0;
            }

            shards[^1].Add(t);
            shardBytes += t.ByteLength;
        }

        if (shards.Count == 1)
        {
            WriteFile(Path.Combine(folder, SingleFileName), tensors, metadata);
            return [SingleFileName];
        }

        var names = new List<string>();
        var weightMap = new SortedDictionary<string, string>(StringComparer.Ordinal);
        for (int i = 0; i < shards.Count; i++)
        {
            var name = $"model-{i + 1:D5}-of-{shards.Count:D5}.safetensors";
            WriteFile(Path.Combine(folder, name), shards[i], metadata);
            names.Add(name);
            foreach (var t in shards[i])
            {
                weightMap[t.Name] = name;
            }
        }

        var map = new JsonObject();
        foreach (var (tensor, file) in weightMap)
        {
            map[tensor] = file;
        }

        var index = new JsonObject
        {
            ["metadata"] = new JsonObject { ["total_size"] = tensors.Sum(t => t.ByteLength) },
            ["weight_map"] = map,
        };
        AtomicFile.WriteAllText(Path.Combine(folder, IndexFileName), PythonJson.Serialize(index));
        names.Add(IndexFileName);
        return names;
    }
}
