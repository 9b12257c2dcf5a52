using Nestor.Checkpoint;
using Nestor.Tokenization;
using Nestor.Training.Config;

namespace Nestor.Training.Data;

/// <summary>
/// The tokenizer the trainer packs and scores examples with: a checkpoint's tokenizer (tokenizer.json when the folder
/// has one, else byte-level; docs/checkpoint-format.md) with the begin, end and padding ids every example needs. Any
/// problem with it is a bad configuration (<see cref="ConfigException"/>, exit code 2).
/// </summary>
public sealed class TrainingTokenizer
{
    private TrainingTokenizer(ITokenizer tokenizer, int bos, int eos, int pad)
    {
        Tokenizer = tokenizer;
        Bos = bos;
        Eos = eos;
        Pad = pad;
    }

    public ITokenizer Tokenizer { get; }

    public int Bos { get; }

    public int Eos { get; }

    public int Pad { get; }

    /// <summary>The byte-level tokenizer; special ids must lie in [256, vocab_size).</summary>
    public static TrainingTokenizer Byte(int bos, int eos, int pad, int vocabSize)
    {
        if (vocabSize < 256 || new[] { bos, eos, pad }.Any(t => t < 256 || t >= vocabSize))
        {
            throw new ConfigException($"the byte tokenizer needs vocab_size >= 256 and special ids in [256, vocab_size): vocab {vocabSize}, bos {bos}, eos {eos}, pad {pad}");
        }

        return new TrainingTokenizer(new ByteTokenizer(bos, eos, pad), bos, eos, pad);
    }

    /// <summary>The byte-level tokenizer of a new model's config (bos/eos/pad default to 256/257/258).</summary>
    public static TrainingTokenizer For(NemotronHConfig config) =>
        Byte(config.BosTokenId ?? 256, config.EosTokenId ?? 257, config.PadTokenId ?? 258, config.VocabSize);

    /// <summary>
    /// The tokenizer of a checkpoint folder. With tokenizer.json, begin and end ids are required (config.json or
    /// tokenizer_config.json) and padding falls back to the end id; vocab_size must cover every id.
    /// </summary>
    public static TrainingTokenizer For(string folder, NemotronHConfig config)
    {
        ITokenizer tokenizer;
        try
        {
            tokenizer = CheckpointTokenizer.Load(folder, config);
        }
        catch (TokenizerFormatException e)
        {
            throw new ConfigException(e.Message);
        }

        if (tokenizer is ByteTokenizer)
        {
            return For(config);
        }

        string Missing(string what, string field) =>
            $"{Path.Combine(folder, CheckpointTokenizer.TokenizerFile)}: the trainer needs a {what} token: set {field}_token_id in config.json or {field}_token in tokenizer_config.json";
        int bos = tokenizer.BosTokenId ?? throw new ConfigException(Missing("begin", "bos"));
        int eos = tokenizer.EosTokenId ?? throw new ConfigException(Missing("end", "eos"));
        return new TrainingTokenizer(tokenizer, bos, eos, tokenizer.PadTokenId ?? eos);
    }

    /// <summary>Distillation compares logits id by id: the teacher must tokenize as the student does.</summary>
    public static void RequireSameTokenizer(string studentFolder, string teacherFolder)
    {
        foreach (var name in CheckpointDirectory.TokenizerFiles)
        {
            var (a, b) = (Path.Combine(studentFolder, name), Path.Combine(teacherFolder, name));
            bool same = File.Exists(a) == File.Exists(b) && (!File.Exists(a) || File.ReadAllBytes(a).AsSpan().SequenceEqual(File.ReadAllBytes(b)));
            if (!same)
            {
                throw new ConfigException($"{teacherFolder}: the teacher's {name} differs from the parent's ({studentFolder}); distillation needs one tokenizer");
            }
        }
    }

    public long[] Encode(string text) => [.. Tokenizer.Encode(text)];

    /// <summary>Decodes ids to text; special ids decode to nothing.</summary>
    public string Decode(IEnumerable<long> ids) => Tokenizer.Decode(ids);
}
