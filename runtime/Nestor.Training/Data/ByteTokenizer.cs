using System.Text;
using Nestor.Checkpoint;

namespace Nestor.Training.Data;

/// <summary>
/// The byte-level tokenizer of checkpoints without tokenizer.json (docs/checkpoint-format.md): ids 0–255 are the
/// UTF-8 bytes; begin, end and padding ids come from config.json (256, 257, 258 in Nestor's tiny models).
/// </summary>
public sealed class ByteTokenizer
{
    public ByteTokenizer(int bos, int eos, int pad, int vocabSize)
    {
        if (vocabSize < 256 || new[] { bos, eos, pad }.Any(t => t < 256 || t >= vocabSize))
        {
            throw new ArgumentException($"the byte tokenizer needs vocab_size >= 256 and special ids in [256, vocab_size): vocab {vocabSize}, bos {bos}, eos {eos}, pad {pad}");
        }

        Bos = bos;
        Eos = eos;
        Pad = pad;
    }

    public int Bos { get; }

    public int Eos { get; }

    public int Pad { get; }

    /// <summary>The tokenizer of a model config (bos/eos/pad default to 256/257/258).</summary>
    public static ByteTokenizer For(NemotronHConfig config) =>
        new(config.BosTokenId ?? 256, config.EosTokenId ?? 257, config.PadTokenId ?? 258, config.VocabSize);

    public long[] Encode(string text) => [.. Encoding.UTF8.GetBytes(text).Select(b => (long)b)];

    /// <summary>Decodes byte ids; special and out-of-range ids are skipped.</summary>
    public string Decode(IEnumerable<long> ids) => Encoding.UTF8.GetString([.. ids.Where(i => i is >= 0 and < 256).Select(i => (byte)i)]);
}
