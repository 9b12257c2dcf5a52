using System.Text;

namespace Nestor.Serving.Engine;

/// <summary>
/// The byte-level tokenizer of checkpoints without tokenizer.json: ids 0–255 are the UTF-8 bytes of the text; ids
/// from 256 up are the config's special tokens (and padding rows) and decode to nothing.
/// </summary>
public sealed class ByteTokenizer(int? bosTokenId, int? eosTokenId) : ITokenizer
{
    public int? BosTokenId { get; } = bosTokenId;

    public int? EosTokenId { get; } = eosTokenId;

    public IReadOnlyList<long> Encode(string text)
    {
        var bytes = Encoding.UTF8.GetBytes(text);
        var ids = new List<long>(bytes.Length + 1);
        if (BosTokenId is { } bos)
        {
            ids.Add(bos);
        }

        foreach (var b in bytes)
        {
            ids.Add(b);
        }

        return ids;
    }

    public ITokenStreamDecoder NewStreamDecoder() => new StreamDecoder();

    private sealed class StreamDecoder : ITokenStreamDecoder
    {
        private readonly Decoder _utf8 = Encoding.UTF8.GetDecoder();
        private readonly byte[] _one = new byte[1];
        private readonly char[] _chars = new char[4];

        public string Add(long token)
        {
            if (token is < 0 or > 255)
            {
                return "";
            }

            _one[0] = (byte)token;
            int n = _utf8.GetChars(_one, 0, 1, _chars, 0, flush: false);
            return new string(_chars, 0, n);
        }

        public string Flush()
        {
            int n = _utf8.GetChars([], 0, 0, _chars, 0, flush: true);
            return new string(_chars, 0, n);
        }
    }
}
