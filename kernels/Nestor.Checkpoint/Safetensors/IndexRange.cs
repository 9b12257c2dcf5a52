namespace Nestor.Checkpoint.Safetensors;

/// <summary>A half-open range of indices [Start, Start + Length) along one tensor axis.</summary>
public readonly record struct IndexRange(long Start, long Length)
{
    public long End => Start + Length;

    public static IndexRange Prefix(long length) => new(0, length);

    public override string ToString() => $"[{Start}, {End})";

    /// <summary>Sorted ranges with touching neighbours merged; empty ranges dropped.</summary>
    public static IReadOnlyList<IndexRange> Normalize(IEnumerable<IndexRange> ranges)
    {
        var result = new List<IndexRange>();
        foreach (var r in ranges.Where(r => r.Length > 0).OrderBy(r => r.Start))
        {
            if (result.Count > 0 && result[^1].End == r.Start)
            {
                result[^1] = new IndexRange(result[^1].Start, result[^1].Length + r.Length);
            }
            else
            {
                result.Add(r);
            }
        }

        return result;
    }

    public static long Total(IReadOnlyList<IndexRange> ranges) => ranges.Sum(r => r.Length);
}
