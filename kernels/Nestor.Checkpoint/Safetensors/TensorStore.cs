using System.Text.Json.Nodes;

namespace Nestor.Checkpoint.Safetensors;

/// <summary>
/// The weights of a checkpoint folder: <c>model.safetensors</c>, or the shards listed in
/// <c>model.safetensors.index.json</c>. Every file is memory-mapped and its header validated on open; a tensor's
/// bytes are read only when copied. Thread-safe for concurrent reads.
/// </summary>
public sealed class TensorStore : IDisposable
{
    private readonly Dictionary<string, SafetensorsFile> _fileOf;
    private readonly List<SafetensorsFile> _files;

    private TensorStore(string folder, List<SafetensorsFile> files, Dictionary<string, SafetensorsFile> fileOf, string source)
    {
        Folder = folder;
        _files = files;
        _fileOf = fileOf;
        Source = source;
    }

    public string Folder { get; }

    /// <summary>The file that lists the tensors: model.safetensors or the index.</summary>
    public string Source { get; }

    public IReadOnlyList<SafetensorsFile> Files => _files;

    public IEnumerable<string> Names => _fileOf.Keys;

    public static TensorStore Open(string folder)
    {
        folder = Path.GetFullPath(folder);
        var indexPath = Path.Combine(folder, SafetensorsWriter.IndexFileName);
        var singlePath = Path.Combine(folder, SafetensorsWriter.SingleFileName);
        if (File.Exists(indexPath))
        {
            return OpenSharded(folder, indexPath);
        }

        if (!File.Exists(singlePath))
        {
            throw new CheckpointFormatException(folder, $"no {SafetensorsWriter.SingleFileName} or {SafetensorsWriter.IndexFileName}");
        }

        var file = SafetensorsFile.Open(singlePath);
        return new TensorStore(folder, [file], file.TensorList.ToDictionary(t => t.Name, _ => file, StringComparer.Ordinal), singlePath);
    }

    public bool Contains(string name) => _fileOf.ContainsKey(name);

    public TensorInfo Info(string name) => FileOf(name).Info(name);

    /// <summary>The file that holds a tensor; a missing tensor is an error naming the tensor and the checkpoint.</summary>
    public SafetensorsFile FileOf(string name) =>
        _fileOf.TryGetValue(name, out var file) ? file : throw new CheckpointFormatException(Source, $"tensor '{name}' is missing");

    public void CopyTo(string name, Span<byte> destination) => FileOf(name).CopyTo(name, destination);

    public void CopyTo(string name, IntPtr destination, long destinationLength) => FileOf(name).CopyTo(name, destination, destinationLength);

    public void CopyRangesTo(string name, IReadOnlyList<IReadOnlyList<IndexRange>> axes, Span<byte> destination) =>
        FileOf(name).CopyRangesTo(name, axes, destination);

    public void CopyRangesTo(string name, IReadOnlyList<IReadOnlyList<IndexRange>> axes, IntPtr destination, long destinationLength) =>
        FileOf(name).CopyRangesTo(name, axes, destination, destinationLength);

    public byte[] ReadBytes(string name) => FileOf(name).ReadBytes(name);

    public byte[] ReadRanges(string name, IReadOnlyList<IReadOnlyList<IndexRange>> axes) => FileOf(name).ReadRanges(name, axes);

    public void WriteRangesTo(string name, IReadOnlyList<IReadOnlyList<IndexRange>> axes, Stream destination) =>
        FileOf(name).WriteRangesTo(name, axes, destination);

    public void Dispose()
    {
        foreach (var file in _files)
        {
            file.Dispose();
        }
    }

    private static TensorStore OpenSharded(string folder, string indexPath)
    {
        var index = PythonJson.ParseObject(File.ReadAllText(indexPath), indexPath);
        if (index["weight_map"] is not JsonObject weightMap)
        {
            throw new CheckpointFormatException(indexPath, "field 'weight_map' is required and must be an object");
        }

        var files = new Dictionary<string, SafetensorsFile>(StringComparer.Ordinal);
        var fileOf = new Dictionary<string, SafetensorsFile>(StringComparer.Ordinal);
        try
        {
            foreach (var (tensor, node) in weightMap)
            {
                var shard = node is JsonValue v && v.TryGetValue<string>(out var s) ? s : null;
                if (shard is null || shard.Contains('/', StringComparison.Ordinal) || shard.Contains('\\', StringComparison.Ordinal) || shard.StartsWith('.'))
                {
                    throw new CheckpointFormatException(indexPath, $"weight_map['{tensor}'] must be a file name in the same folder, got {node?.ToJsonString() ?? "null"}");
                }

                if (!files.TryGetValue(shard, out var file))
                {
                    var shardPath = Path.Combine(folder, shard);
                    if (!File.Exists(shardPath))
                    {
                        throw new CheckpointFormatException(indexPath, $"weight_map['{tensor}'] names {shard}, which does not exist");
                    }

                    file = SafetensorsFile.Open(shardPath);
                    files[shard] = file;
                }

                if (!file.Tensors.ContainsKey(tensor))
                {
                    throw new CheckpointFormatException(file.Path, $"tensor '{tensor}' is missing (the index {SafetensorsWriter.IndexFileName} lists it here)");
                }

                fileOf[tensor] = file;
            }

            foreach (var file in files.Values)
            {
                var stray = file.TensorList.FirstOrDefault(t => !ReferenceEquals(fileOf.GetValueOrDefault(t.Name), file));
                if (stray is not null)
                {
                    throw new CheckpointFormatException(file.Path, $"tensor '{stray.Name}' is not mapped to this file by {SafetensorsWriter.IndexFileName}");
                }
            }
        }
        catch
        {
            foreach (var file in files.Values)
            {
                file.Dispose();
            }

            throw;
        }

        return new TensorStore(folder, [.. files.Values], fileOf, indexPath);
    }
}
