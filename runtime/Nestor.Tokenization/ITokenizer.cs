namespace Nestor.Tokenization;

/// <summary>Text to token ids and back, incrementally for streaming. Shared by the server and the trainer.</summary>
public interface ITokenizer
{
    /// <summary>What this is, for logs: "byte-level" or the tokenizer.json it came from.</summary>
    string Description { get; }

    int? BosTokenId { get; }

    int? EosTokenId { get; }

    int? PadTokenId { get; }

    /// <summary>One more than the highest id this tokenizer can produce: the model's vocab_size must be at least this.</summary>
    int IdCount { get; }

    /// <summary>The ids of the text, adding no special tokens (special tokens written in the text are recognised).</summary>
    IReadOnlyList<long> Encode(string text);

    /// <summary>The text of the ids; special tokens decode to nothing unless <paramref name="skipSpecialTokens"/> is false.</summary>
    string Decode(IEnumerable<long> ids, bool skipSpecialTokens = true);

    /// <summary>A decoder that turns a stream of token ids into text, holding back incomplete characters (special tokens are skipped).</summary>
    ITokenStreamDecoder NewStreamDecoder();
}

public interface ITokenStreamDecoder
{
    /// <summary>The text completed by this token (possibly empty).</summary>
    string Add(long token);

    /// <summary>Whatever is still held back (an incomplete character at the end), as replacement characters.</summary>
    string Flush();
}

public static class TokenizerExtensions
{
    /// <summary>A prompt as the model sees it: the begin token (when the model has one), then the text's ids.</summary>
    public static IReadOnlyList<long> EncodePrompt(this ITokenizer tokenizer, string text)
    {
        var ids = tokenizer.Encode(text);
        return tokenizer.BosTokenId is { } bos ? [bos, .. ids] : ids;
    }
}
