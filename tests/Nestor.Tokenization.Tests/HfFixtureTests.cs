using System.Text.Json;
using Nestor.Testing;
using Nestor.Tokenization;

namespace Nestor.Tokenization.Tests;

/// <summary>
/// Nestor's reading of tokenizer.json against Hugging Face `tokenizers` itself: tests/Fixtures/hf-tokenizers holds two
/// tokenizers it wrote and the ids it gave for fixed texts (tools/hf_tokenizer_fixtures.py).
/// </summary>
public sealed class HfFixtureTests
{
    public static readonly TheoryData<string, int> Cases = BuildCases();

    [Theory]
    [MemberData(nameof(Cases))]
    public void EncodesAsHuggingFaceDoes(string fixture, int row)
    {
        var (text, ids, _) = Fixtures.Row(fixture, row);
        var tokenizer = Fixtures.Load(fixture);
        Assert.Equal(ids, tokenizer.Encode(text));
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void DecodesAsHuggingFaceDoes(string fixture, int row)
    {
        var (_, ids, decoded) = Fixtures.Row(fixture, row);
        var tokenizer = Fixtures.Load(fixture);
        Assert.Equal(decoded, tokenizer.Decode(ids, skipSpecialTokens: false));
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void StreamingDecodeConcatenatesToTheTextWithoutSpecialTokens(string fixture, int row)
    {
        var (_, ids, decoded) = Fixtures.Row(fixture, row);
        var tokenizer = Fixtures.Load(fixture);
        var stream = tokenizer.NewStreamDecoder();
        var text = string.Concat(ids.Select(stream.Add)) + stream.Flush();
        var expected = decoded;
        foreach (var special in new[] { "<|begin_of_text|>", "<|end_of_text|>", "<|pad|>" })
        {
            expected = expected.Replace(special, "", StringComparison.Ordinal);
        }

        Assert.Equal(expected, text);
        Assert.Equal(expected, tokenizer.Decode(ids));
    }

    [Fact]
    public void EncodesConcurrentlyAsItDoesAlone()
    {
        // The server encodes requests on many threads with one tokenizer (and Microsoft.ML.Tokenizers' BPE caches words).
        var tokenizer = HfTokenizer.Load(Fixtures.PathOf("llama3-style"));
        var rows = Enumerable.Range(0, Fixtures.Count("llama3-style")).Select(i => Fixtures.Row("llama3-style", i)).ToArray();
        var failures = 0;
        Parallel.For(0, 4000, new ParallelOptions { MaxDegreeOfParallelism = 8 }, i =>
        {
            var (text, ids, _) = rows[i % rows.Length];
            if (!tokenizer.Encode(text).SequenceEqual(ids))
            {
                Interlocked.Increment(ref failures);
            }
        });
        Assert.Equal(0, failures);
    }

    [Fact]
    public void FixturesHoldTheCasesThatMatter()
    {
        // The cases the brief names must be in expected.json, else the theories above prove less than they say.
        var texts = Enumerable.Range(0, Fixtures.Count("gpt2-style")).Select(i => Fixtures.Row("gpt2-style", i).Text).ToList();
        Assert.Contains("", texts);
        Assert.Contains(texts, t => t.Contains("🙂", StringComparison.Ordinal));
        Assert.Contains(texts, t => t.Contains("<|end_of_text|>", StringComparison.Ordinal));
        Assert.Contains(texts, t => t.Contains("\r\n\n", StringComparison.Ordinal));
        Assert.Equal(Fixtures.Count("gpt2-style"), Fixtures.Count("llama3-style"));
    }

    private static TheoryData<string, int> BuildCases()
    {
        var data = new TheoryData<string, int>();
        foreach (var fixture in new[] { "gpt2-style", "llama3-style" })
        {
            for (int i = 0; i < Fixtures.Count(fixture); i++)
            {
                data.Add(fixture, i);
            }
        }

        return data;
    }
}

internal static class Fixtures
{
    private static readonly Lazy<JsonElement> Expected = new(() =>
        JsonDocument.Parse(File.ReadAllText(RepoPaths.Combine("tests", "Fixtures", "hf-tokenizers", "expected.json"))).RootElement.Clone());

    private static readonly Dictionary<string, HfTokenizer> Loaded = [];

    public static string PathOf(string fixture) => RepoPaths.Combine("tests", "Fixtures", "hf-tokenizers", fixture, "tokenizer.json");

    public static int Count(string fixture) => Expected.Value.GetProperty(fixture).GetArrayLength();

    public static (string Text, long[] Ids, string Decoded) Row(string fixture, int row)
    {
        var r = Expected.Value.GetProperty(fixture)[row];
        return (r.GetProperty("text").GetString()!, [.. r.GetProperty("ids").EnumerateArray().Select(e => e.GetInt64())], r.GetProperty("decoded").GetString()!);
    }

    public static HfTokenizer Load(string fixture)
    {
        lock (Loaded)
        {
            if (!Loaded.TryGetValue(fixture, out var tokenizer))
            {
                Loaded[fixture] = tokenizer = HfTokenizer.Load(PathOf(fixture));
            }

            return tokenizer;
        }
    }
}
