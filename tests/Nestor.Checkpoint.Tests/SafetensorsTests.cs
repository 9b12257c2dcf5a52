using System.Buffers.Binary;
using System.Text;
using Nestor.Checkpoint.Safetensors;
using Nestor.Testing;

namespace Nestor.Checkpoint.Tests;

public sealed class SafetensorsTests : IDisposable
{
    private readonly ScratchDirectory _dir = new("nestor-safetensors");

    public void Dispose() => _dir.Dispose();

    [Theory]
    [InlineData(DType.F32)]
    [InlineData(DType.BF16)]
    [InlineData(DType.F16)]
    public void RoundTripIsBitExact(DType dtype)
    {
        var random = new Random(7);
        var tensors = new[] { new long[] { 5, 3 }, [7], [2, 3, 4], [], [0, 4] }.Select((shape, i) =>
        {
            var bytes = new byte[shape.Aggregate(1L, (a, b) => a * b) * dtype.Size()];
            random.NextBytes(bytes); // every bit pattern, NaNs and subnormals included
            return TensorToWrite.FromBytes($"t{i}", dtype, shape, bytes);
        }).ToList();
        var expected = tensors.ToDictionary(t => t.Name, t => { var m = new MemoryStream(); t.WriteData(m); return m.ToArray(); });
        var path = _dir.Combine("x.safetensors");
        SafetensorsWriter.WriteFile(path, tensors, new Dictionary<string, string> { ["format"] = "pt", ["note"] = "hi" });

        using var file = SafetensorsFile.Open(path);
        Assert.Equal("hi", file.Metadata["note"]);
        foreach (var t in tensors)
        {
            Assert.Equal(dtype, file.Info(t.Name).DType);
            Assert.Equal(t.Shape, file.Info(t.Name).Shape);
            Assert.Equal(expected[t.Name], file.ReadBytes(t.Name));
        }

        // The header is padded to 8 bytes and the data follows it directly.
        var raw = File.ReadAllBytes(path);
        Assert.Equal(0UL, BinaryPrimitives.ReadUInt64LittleEndian(raw) % 8);
    }

    [Fact]
    public void ReadsAFileWrittenByTheReferenceLayout()
    {
        // Built by hand as the Python library writes it: header JSON with a tensor of two F32 values.
        var header = Encoding.UTF8.GetBytes("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},\"__metadata__\":{\"format\":\"pt\"}}");
        var bytes = new byte[8 + header.Length + 8];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, (ulong)header.Length);
        header.CopyTo(bytes, 8);
        BinaryPrimitives.WriteSingleLittleEndian(bytes.AsSpan(8 + header.Length), 1.5f);
        BinaryPrimitives.WriteSingleLittleEndian(bytes.AsSpan(12 + header.Length), -2f);
        var path = _dir.Combine("ref.safetensors");
        File.WriteAllBytes(path, bytes);
        using var file = SafetensorsFile.Open(path);
        var data = file.ReadBytes("a");
        Assert.Equal(-2f, BinaryPrimitives.ReadSingleLittleEndian(data.AsSpan(4)));
    }

    [Fact]
    public void PartialReadsEqualSlicesOfFullReads()
    {
        var random = new Random(3);
        long[] shape = [6, 5, 7];
        var bytes = new byte[6 * 5 * 7 * 2];
        random.NextBytes(bytes);
        var path = _dir.Combine("p.safetensors");
        SafetensorsWriter.WriteFile(path, [TensorToWrite.FromBytes("w", DType.BF16, shape, bytes)]);
        using var file = SafetensorsFile.Open(path);
        var full = file.ReadBytes("w");

        for (int trial = 0; trial < 200; trial++)
        {
            var axes = shape.Select(size => RandomRanges(random, size)).ToArray();
            var expected = NaiveSelect(full, shape, 2, axes);
            Assert.Equal(expected, file.ReadRanges("w", axes));
            var streamed = new MemoryStream();
            file.WriteRangesTo("w", axes, streamed, chunkBytes: 16);
            Assert.Equal(expected, streamed.ToArray());
        }

        // Rows and columns of a 2-D view, the common cases.
        Assert.Equal(full.AsSpan(2 * 35 * 2, 3 * 35 * 2).ToArray(), file.ReadRanges("w", [[new(2, 3)], [new(0, 5)], [new(0, 7)]]));
    }

    [Fact]
    public void ShardedCheckpointsRoundTripThroughTheIndex()
    {
        var config = TinyCheckpoints.Config("bfloat16");
        var single = TinyCheckpoints.Write(_dir.Combine("single"), config, null, seed: 5);
        var sharded = TinyCheckpoints.Write(_dir.Combine("sharded"), config, null, seed: 5, maxShardBytes: 4096);
        Assert.True(File.Exists(Path.Combine(sharded, SafetensorsWriter.IndexFileName)));
        Assert.True(Directory.GetFiles(sharded, "model-*-of-*.safetensors").Length > 2);

        using var a = TensorStore.Open(single);
        using var b = TensorStore.Open(sharded);
        Assert.Equal(a.Names.Order(), b.Names.Order());
        foreach (var name in a.Names)
        {
            Assert.Equal(a.ReadBytes(name), b.ReadBytes(name));
        }
    }

    [Fact]
    public void TruncatedFileNamesTheFileAndTheTensor()
    {
        var path = WriteTwoTensors();
        var bytes = File.ReadAllBytes(path);
        File.WriteAllBytes(path, bytes[..^5]);
        var error = Assert.Throws<CheckpointFormatException>(() => SafetensorsFile.Open(path));
        Assert.Contains(path, error.Message, StringComparison.Ordinal);
        Assert.Contains("tensor 'second'", error.Message, StringComparison.Ordinal);
        Assert.Contains("truncated", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void TruncatedHeaderIsReported()
    {
        var path = WriteTwoTensors();
        File.WriteAllBytes(path, File.ReadAllBytes(path)[..20]);
        var error = Assert.Throws<CheckpointFormatException>(() => SafetensorsFile.Open(path));
        Assert.Contains($"{path}: truncated: the header needs", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}", 12, "tensor 'b': data_offsets [4, 12] overlap tensor 'a'")]
    [InlineData("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[12,20]}}", 20, "tensor 'b': data_offsets [12, 20] leave a gap")]
    [InlineData("{\"a\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,8]}}", 8, "tensor 'a': shape [3] of F32 needs 12 bytes")]
    [InlineData("{\"a\":{\"dtype\":\"I64\",\"shape\":[1],\"data_offsets\":[0,8]}}", 8, "tensor 'a': unsupported dtype \"I64\"")]
    [InlineData("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}", 16, "the data section has 16 bytes but the tensors cover 8")]
    [InlineData("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]", 8, "header is not valid JSON")]
    [InlineData("{\"a\":{\"dtype\":\"F32\",\"shape\":[-2],\"data_offsets\":[0,8]}}", 8, "tensor 'a': shape must be an array of non-negative integers")]
    public void CorruptHeadersNameTheFileAndTheTensor(string header, int dataBytes, string expected)
    {
        var json = Encoding.UTF8.GetBytes(header);
        var bytes = new byte[8 + json.Length + dataBytes];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, (ulong)json.Length);
        json.CopyTo(bytes, 8);
        var path = _dir.Combine("bad.safetensors");
        File.WriteAllBytes(path, bytes);
        var error = Assert.Throws<CheckpointFormatException>(() => SafetensorsFile.Open(path));
        Assert.StartsWith(path + ": ", error.Message, StringComparison.Ordinal);
        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AnAbsurdHeaderLengthIsRejectedWithoutReadingIt()
    {
        var path = _dir.Combine("huge.safetensors");
        var bytes = new byte[16];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, ulong.MaxValue / 2);
        File.WriteAllBytes(path, bytes);
        var error = Assert.Throws<CheckpointFormatException>(() => SafetensorsFile.Open(path));
        Assert.Contains("exceeds the 100000000-byte limit", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void MissingTensorAndOutOfRangeReadsNameTheTensor()
    {
        var path = WriteTwoTensors();
        using var file = SafetensorsFile.Open(path);
        var missing = Assert.Throws<CheckpointFormatException>(() => file.ReadBytes("third"));
        Assert.Equal($"{path}: tensor 'third' is not in this file", missing.Message);
        var outside = Assert.Throws<CheckpointFormatException>(() => file.ReadRanges("first", [[new(3, 2)], [new(0, 2)]]));
        Assert.Contains("tensor 'first' [4, 2]: range [3, 5) is outside axis 0 (size 4)", outside.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ShardIndexErrorsNameTheFileAndTheTensor()
    {
        var config = TinyCheckpoints.Config();
        var folder = TinyCheckpoints.Write(_dir.Combine("s"), config, null, maxShardBytes: 8192);
        var index = Path.Combine(folder, SafetensorsWriter.IndexFileName);
        var text = File.ReadAllText(index);

        File.WriteAllText(index, text.Replace("model-00002-of-", "model-00099-of-", StringComparison.Ordinal));
        var error = Assert.Throws<CheckpointFormatException>(() => TensorStore.Open(folder));
        Assert.Contains("names model-00099-of-", error.Message, StringComparison.Ordinal);
        Assert.Contains("which does not exist", error.Message, StringComparison.Ordinal);

        File.WriteAllText(index, text.Replace("\"lm_head.weight\"", "\"lm_head.weight.renamed\"", StringComparison.Ordinal));
        error = Assert.Throws<CheckpointFormatException>(() => TensorStore.Open(folder));
        Assert.Contains("tensor 'lm_head.weight.renamed' is missing", error.Message, StringComparison.Ordinal);

        File.WriteAllText(index, text);
        using var store = TensorStore.Open(folder);
        error = Assert.Throws<CheckpointFormatException>(() => store.Info("backbone.layers.9.norm.weight"));
        Assert.Equal($"{index}: tensor 'backbone.layers.9.norm.weight' is missing", error.Message);
    }

    private string WriteTwoTensors()
    {
        var path = _dir.Combine("two.safetensors");
        SafetensorsWriter.WriteFile(path,
        [
            TensorToWrite.FromBytes("first", DType.F32, [4, 2], new byte[32]),
            TensorToWrite.FromBytes("second", DType.F32, [3], new byte[12]),
        ]);
        return path;
    }

    private static IReadOnlyList<IndexRange> RandomRanges(Random random, long size)
    {
        var ranges = new List<IndexRange>();
        long at = 0;
        while (at < size)
        {
            long start = at + random.Next(0, 3);
            if (start >= size)
            {
                break;
            }

            long length = random.Next(1, (int)(size - start) + 1);
            ranges.Add(new IndexRange(start, length));
            at = start + length;
        }

        return ranges.Count > 0 ? ranges : [new IndexRange(random.Next((int)size), 1)];
    }

    // Element-by-element selection, independent of the library's block copying.
    private static byte[] NaiveSelect(byte[] full, long[] shape, int elementSize, IReadOnlyList<IndexRange>[] axes)
    {
        var kept = axes.Select(a => a.SelectMany(r => Enumerable.Range((int)r.Start, (int)r.Length)).ToArray()).ToArray();
        var result = new List<byte>();
        foreach (var i in kept[0])
        {
            foreach (var j in kept[1])
            {
                foreach (var k in kept[2])
                {
                    long offset = (((i * shape[1]) + j) * shape[2]) + k;
                    result.AddRange(full.AsSpan((int)(offset * elementSize), elementSize).ToArray());
                }
            }
        }

        return [.. result];
    }
}
