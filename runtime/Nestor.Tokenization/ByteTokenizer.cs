using System.Text;

namespace Nestor.Tokenization;

/// <summary>
/// The byte-level tokenizer of checkpoints without tokenizer.json (docs/checkpoint-format.md): ids 0–255 are the
/// UTF-8 bytes of the text; ids from 256 up are the config's special tokens (and padding rows) and decode to nothing.
/// </summary>
public sealed class ByteTokenizer(int? bosTokenId, int? eosTokenId, int? padTokenId = null) : ITokenizer
{
    private static readonly ReadOnlyMemory<byte>[] Bytes = [.. Enumerable.Range(0, 256).Select(b => new ReadOnlyMemory<byte>([(byte)b]))];

    public string Description => "byte-level";

    public int? BosTokenId { get; } = bosTokenId;

    public int? EosTokenId { get; } = eosTokenId;

    public int? PadTokenId { get; } = padTokenId;

    public int IdCount => 1 + new[] { 255, BosTokenId ?? 0, EosTokenId ?? 0, PadTokenId ?? 0 }.Max();

    public IReadOnlyList<long> Encode(string text) => [.. Encoding.UTF8.GetBytes(text).Select(b => (long)b)];

    /// <summary>Special ids have no text, so <paramref name="skipSpecialTokens"/> changes nothing here.</summary>
    public string Decode(IEnumerable<long> ids, bool skipSpecialTokens = true) => Utf8StreamDecoder.DecodeAll(ids, BytesOf);

    public ITokenStreamDecoder NewStreamDecoder() => new Utf8StreamDecoder(BytesOf);

    private static ReadOnlyMemory<byte> BytesOf(long id) => id is >= 0 and < 256 ? Bytes[id] : ReadOnlyMemory<byte>.Empty;
}
