using System.Text;

namespace Nestor.Tokenization.Tests;

/// <summary>The server streams text token by token: a character split across tokens must come out whole, once.</summary>
public sealed class StreamingTests
{
    [Theory]
    [InlineData("gpt2-style")]
    [InlineData("llama3-style")]
    public void AnEmojiSplitAcrossTokensComesOutWholeWithItsLastToken(string fixture)
    {
        var tokenizer = Fixtures.Load(fixture);
        var ids = tokenizer.Encode("🙂");
        // The fixtures' vocabularies have no token for the emoji's four bytes: it spans several tokens.
        Assert.True(ids.Count > 1, $"expected the emoji to span tokens, got {ids.Count}");

        var stream = tokenizer.NewStreamDecoder();
        var pieces = ids.Select(stream.Add).ToList();
        Assert.All(pieces[..^1], p => Assert.Equal("", p));
        Assert.Equal("🙂", pieces[^1]);
        Assert.Equal("", stream.Flush());
    }

    [Fact]
    public void EveryChunkOfAMixedTextIsValidText()
    {
        var tokenizer = Fixtures.Load("gpt2-style");
        const string text = "emoji 🙂🚀 日本語 äöü → ©";
        var stream = tokenizer.NewStreamDecoder();
        var chunks = tokenizer.Encode(text).Select(stream.Add).Append(stream.Flush()).ToList();
        Assert.DoesNotContain(chunks, c => c.Contains('\uFFFD', StringComparison.Ordinal));
        Assert.All(chunks, c => Assert.False(c.Length > 0 && char.IsHighSurrogate(c[^1]), $"chunk '{c}' ends inside a surrogate pair"));
        Assert.Equal(text, string.Concat(chunks));
    }

    [Fact]
    public void AnIncompleteCharacterAtTheEndFlushesAsAReplacementCharacter()
    {
        var tokenizer = Fixtures.Load("gpt2-style");
        var ids = tokenizer.Encode("🙂");
        var stream = tokenizer.NewStreamDecoder();
        Assert.Equal("", string.Concat(ids.Take(ids.Count - 1).Select(stream.Add)));
        Assert.Equal("\uFFFD", stream.Flush());
    }

    [Fact]
    public void SpecialTokensStreamAsNothing()
    {
        var tokenizer = Fixtures.Load("llama3-style");
        var stream = tokenizer.NewStreamDecoder();
        Assert.Equal("", stream.Add(tokenizer.AddedTokens["<|end_of_text|>"]));
        Assert.Equal("", stream.Add(10_000));
    }

    [Fact]
    public void ByteTokenizerStreamsMultiByteCharactersWhole()
    {
        var tokenizer = new ByteTokenizer(256, 257);
        var ids = tokenizer.Encode("aé€");
        Assert.Equal(Encoding.UTF8.GetBytes("aé€").Select(b => (long)b), ids);
        var stream = tokenizer.NewStreamDecoder();
        Assert.Equal(["a", "", "é", "", "", "€"], ids.Select(stream.Add));
        Assert.Equal("", stream.Add(257));
        var broken = tokenizer.NewStreamDecoder();
        Assert.Equal("", broken.Add(0xE2));
        Assert.Equal("\uFFFD", broken.Flush());
    }
}
