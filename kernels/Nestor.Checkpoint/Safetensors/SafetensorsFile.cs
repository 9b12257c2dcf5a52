using System.Buffers.Binary;
using System.IO.MemoryMappedFiles;

namespace Nestor.Checkpoint.Safetensors;

/// <summary>
/// One safetensors file, memory-mapped read-only. Opening parses and validates the header only; tensor bytes are
/// read from the mapping when copied, so reading a slice of a tensor touches only the pages of that slice.
/// </summary>
public sealed unsafe class SafetensorsFile : IDisposable
{
    private readonly Dictionary<string, TensorInfo> _tensors;
    private readonly MemoryMappedFile _map;
    private readonly MemoryMappedViewAccessor _view;
    private readonly byte* _data;
    private bool _disposed;

    private SafetensorsFile(string path, IReadOnlyList<TensorInfo> tensors, IReadOnlyDictionary<string, string> metadata,
        MemoryMappedFile map, MemoryMappedViewAccessor view, long dataOffset)
    {
        Path = path;
        TensorList = tensors;
        _tensors = tensors.ToDictionary(t => t.Name, StringComparer.Ordinal);
        Metadata = metadata;
        _map = map;
        _view = view;
        byte* basePointer = null;
        view.SafeMemoryMappedViewHandle.AcquirePointer(ref basePointer);
        _data = basePointer + view.PointerOffset + dataOffset;
    }

    public string Path { get; }

    /// <summary>The tensors in header order.</summary>
    public IReadOnlyList<TensorInfo> TensorList { get; }

    public IReadOnlyDictionary<string, TensorInfo> Tensors => _tensors;

    public IReadOnlyDictionary<string, string> Metadata { get; }

    public static SafetensorsFile Open(string path)
    {
        path = System.IO.Path.GetFullPath(path);
        long fileLength;
        byte[] headerJson;
        try
        {
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read);
            fileLength = stream.Length;
            Span<byte> prefix = stackalloc byte[8];
            if (stream.ReadAtLeast(prefix, 8, throwOnEndOfStream: false) < 8)
            {
                throw new CheckpointFormatException(path, $"not a safetensors file: {fileLength} bytes is shorter than the 8-byte header length");
            }

            ulong headerLength = BinaryPrimitives.ReadUInt64LittleEndian(prefix);
            if (headerLength > SafetensorsHeader.MaxHeaderBytes)
            {
                throw new CheckpointFormatException(path, $"header length {headerLength} exceeds the {SafetensorsHeader.MaxHeaderBytes}-byte limit: not a safetensors file or corrupt");
            }

            if ((long)headerLength > fileLength - 8)
            {
                throw new CheckpointFormatException(path, $"truncated: the header needs {headerLength} bytes but the file has {fileLength - 8} after the length");
            }

            headerJson = new byte[headerLength];
            stream.ReadExactly(headerJson);
        }
        catch (IOException e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new CheckpointFormatException(path, "file not found", e);
        }

        long dataOffset = 8 + headerJson.Length;
        var (tensors, metadata) = SafetensorsHeader.Parse(headerJson, fileLength - dataOffset, path);
        var map = MemoryMappedFile.CreateFromFile(path, FileMode.Open, mapName: null, capacity: 0, MemoryMappedFileAccess.Read);
        try
        {
            var view = map.CreateViewAccessor(0, 0, MemoryMappedFileAccess.Read);
            return new SafetensorsFile(path, tensors, metadata, map, view, dataOffset);
        }
        catch
        {
            map.Dispose();
            throw;
        }
    }

    public TensorInfo Info(string name) =>
        _tensors.TryGetValue(name, out var info) ? info : throw new CheckpointFormatException(Path, $"tensor '{name}' is not in this file");

    /// <summary>Copies a whole tensor's bytes to <paramref name="destination"/>, which must be exactly its size.</summary>
    public void CopyTo(string name, Span<byte> destination)
    {
        var info = Info(name);
        CheckDestination(info, info.ByteLength, destination.Length);
        fixed (byte* dst = destination)
        {
            CopyBytes(info.Begin, dst, info.ByteLength);
        }
    }

    /// <summary>Copies a whole tensor to native memory (for destinations larger than a span can address).</summary>
    public void CopyTo(string name, IntPtr destination, long destinationLength)
    {
        var info = Info(name);
        CheckDestination(info, info.ByteLength, destinationLength);
        CopyBytes(info.Begin, (byte*)destination, info.ByteLength);
    }

    /// <summary>
    /// Copies the sub-tensor selected by a list of kept index ranges per axis (row-major, ranges in the order given)
    /// into <paramref name="destination"/>. Only the selected bytes are read.
    /// </summary>
    public void CopyRangesTo(string name, IReadOnlyList<IReadOnlyList<IndexRange>> axes, Span<byte> destination)
    {
        fixed (byte* dst = destination)
        {
            CopyRangesTo(name, axes, (IntPtr)dst, destination.Length);
        }
    }

    public void CopyRangesTo(string name, IReadOnlyList<IReadOnlyList<IndexRange>> axes, IntPtr destination, long destinationLength)
    {
        var info = Info(name);
        long bytes = RangeCopy.SelectedBytes(info, axes, Path);
        CheckDestination(info, bytes, destinationLength);
        ObjectDisposedException.ThrowIf(_disposed, this);
        RangeCopy.Copy(_data + info.Begin, info.Shape, info.DType.Size(), axes, (byte*)destination);
    }

    /// <summary>A whole tensor's bytes in a new array.</summary>
    public byte[] ReadBytes(string name)
    {
        var info = Info(name);
        var bytes = new byte[info.ByteLength];
        CopyTo(name, bytes);
        return bytes;
    }

    /// <summary>The selected sub-tensor's bytes in a new array.</summary>
    public byte[] ReadRanges(string name, IReadOnlyList<IReadOnlyList<IndexRange>> axes)
    {
        var info = Info(name);
        var bytes = new byte[RangeCopy.SelectedBytes(info, axes, Path)];
        CopyRangesTo(name, axes, bytes);
        return bytes;
    }

    /// <summary>
    /// Streams the selected sub-tensor to <paramref name="destination"/> in chunks of whole rows (of axis 0), so tensors
    /// larger than an array can hold are written without materialising them.
    /// </summary>
    public void WriteRangesTo(string name, IReadOnlyList<IReadOnlyList<IndexRange>> axes, Stream destination, long chunkBytes = 64 << 20)
    {
        var info = Info(name);
        long total = RangeCopy.SelectedBytes(info, axes, Path);
        if (info.Shape.Count == 0 || total <= chunkBytes)
        {
            destination.Write(ReadRanges(name, axes));
            return;
        }

        long rowBytes = total / IndexRange.Total(axes[0]);
        long rowsPerChunk = Math.Max(1, chunkBytes / Math.Max(1, rowBytes));
        var buffer = new byte[checked((int)(rowsPerChunk * rowBytes))];
        var rest = axes.Skip(1).ToArray();
        foreach (var range in axes[0])
        {
            for (long start = range.Start; start < range.End; start += rowsPerChunk)
            {
                long rows = Math.Min(rowsPerChunk, range.End - start);
                var span = buffer.AsSpan(0, (int)(rows * rowBytes));
                CopyRangesTo(name, [[new IndexRange(start, rows)], .. rest], span);
                destination.Write(span);
            }
        }
    }

    /// <summary>Streams a whole tensor to <paramref name="destination"/>.</summary>
    public void WriteTo(string name, Stream destination) =>
        WriteRangesTo(name, [.. Info(name).Shape.Select(s => (IReadOnlyList<IndexRange>)[IndexRange.Prefix(s)])], destination);

    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        _view.SafeMemoryMappedViewHandle.ReleasePointer();
        _view.Dispose();
        _map.Dispose();
    }

    private void CopyBytes(long begin, byte* destination, long length)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        Buffer.MemoryCopy(_data + begin, destination, length, length);
    }

    private void CheckDestination(TensorInfo info, long needed, long actual)
    {
        if (needed != actual)
        {
            throw new ArgumentException($"{Path}: tensor '{info.Name}' needs a {needed}-byte destination, got {actual} bytes");
        }
    }
}
