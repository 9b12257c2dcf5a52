namespace Nestor.Serving.Engine;

/// <summary>Text to token ids and back, incrementally for streaming.</summary>
public interface ITokenizer
{
    int? BosTokenId { get; }

    int? EosTokenId { get; }

    IReadOnlyList<long> Encode(string text);

    /// <summary>A decoder that turns a stream of token ids into text, holding back incomplete characters.</summary>
    ITokenStreamDecoder NewStreamDecoder();
}

public interface ITokenStreamDecoder
{
    /// <summary>The text completed by this token (possibly empty).</summary>
    string Add(long token);

    /// <summary>Whatever is still held back (an incomplete character at the end), as replacement characters.</summary>
    string Flush();
}
