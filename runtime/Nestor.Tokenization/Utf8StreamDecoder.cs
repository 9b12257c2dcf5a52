using System.Text;

namespace Nestor.Tokenization;

/// <summary>
/// Streams token ids to text through each id's bytes and one UTF-8 decoder, so a character whose bytes are split
/// across tokens comes out whole with the token that completes it.
/// </summary>
internal sealed class Utf8StreamDecoder(Func<long, ReadOnlyMemory<byte>> bytesOf) : ITokenStreamDecoder
{
    private readonly Decoder _utf8 = Encoding.UTF8.GetDecoder();
    private char[] _chars = new char[16];

    public string Add(long token)
    {
        var bytes = bytesOf(token).Span;
        if (bytes.IsEmpty)
        {
            return "";
        }

        int needed = _utf8.GetCharCount(bytes, flush: false);
        if (needed > _chars.Length)
        {
            _chars = new char[Math.Max(needed, _chars.Length * 2)];
        }

        int n = _utf8.GetChars(bytes, _chars, flush: false);
        return new string(_chars, 0, n);
    }

    public string Flush()
    {
        int n = _utf8.GetChars([], _chars, flush: true);
        return new string(_chars, 0, n);
    }

    public static string DecodeAll(IEnumerable<long> ids, Func<long, ReadOnlyMemory<byte>> bytesOf)
    {
        var decoder = new Utf8StreamDecoder(bytesOf);
        var text = new StringBuilder();
        foreach (var id in ids)
        {
            text.Append(decoder.Add(id));
        }

        return text.Append(decoder.Flush()).ToString();
    }
}
