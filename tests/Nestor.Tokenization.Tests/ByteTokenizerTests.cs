using System.Text;

namespace Nestor.Tokenization.Tests;

/// <summary>The byte-level tokenizer of checkpoints without tokenizer.json keeps the ids the tiny models were trained with.</summary>
public sealed class ByteTokenizerTests
{
    [Fact]
    public void IdsAreTheUtf8BytesAndSpecialIdsComeFromTheConfig()
    {
        var tokenizer = new ByteTokenizer(256, 257, 258);
        Assert.Equal(Encoding.UTF8.GetBytes("a=1; é").Select(b => (long)b), tokenizer.Encode("a=1; é"));
        Assert.Equal((256, 257, 258), (tokenizer.BosTokenId, tokenizer.EosTokenId, tokenizer.PadTokenId));
        Assert.Equal(259, tokenizer.IdCount);
        Assert.Equal("a=1; é", tokenizer.Decode([256, .. tokenizer.Encode("a=1; é"), 257, 258]));
    }

    [Fact]
    public void PromptsStartWithTheBeginTokenOnlyWhenTheModelHasOne()
    {
        Assert.Equal([256L, 120], new ByteTokenizer(256, 257).EncodePrompt("x"));
        Assert.Equal([120L], new ByteTokenizer(null, 257).EncodePrompt("x"));
        Assert.Empty(new ByteTokenizer(null, null).EncodePrompt(""));
    }
}
