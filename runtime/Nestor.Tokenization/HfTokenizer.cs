using System.Text;
using Microsoft.ML.Tokenizers;

namespace Nestor.Tokenization;

/// <summary>
/// A checkpoint's Hugging Face tokenizer.json (byte-level BPE), encoding through Microsoft.ML.Tokenizers' BPE model
/// and decoding through each id's bytes, so streamed text never splits a character.
/// </summary>
public sealed class HfTokenizer : ITokenizer
{
    private readonly BpeTokenizer _bpe;
    private readonly SplitPreTokenizer _preTokenizer;
    private readonly HfTokenizerSpec _spec;
    private readonly Dictionary<string, int> _added;
    private readonly ReadOnlyMemory<byte>[] _bytes;
    private readonly bool[] _special;

    private HfTokenizer(HfTokenizerSpec spec, int? bos, int? eos, int? pad)
    {
        _spec = spec;
        _added = spec.AddedTokens.GroupBy(t => t.Content, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Last().Id, StringComparer.Ordinal);
        _preTokenizer = new SplitPreTokenizer(spec.Splitter, _added.Keys);
        _bpe = BpeTokenizer.Create(new BpeOptions(spec.Vocabulary)
        {
            Merges = spec.Merges,
            SpecialTokens = _added,
            PreTokenizer = _preTokenizer,
            ByteLevel = true,
            UnknownToken = spec.UnknownToken,
        });
        IdCount = 1 + Math.Max(spec.Vocabulary.Values.DefaultIfEmpty(-1).Max(), spec.AddedTokens.Select(t => t.Id).DefaultIfEmpty(-1).Max());
        _bytes = new ReadOnlyMemory<byte>[IdCount];
        _special = new bool[IdCount];
        foreach (var (token, id) in spec.Vocabulary)
        {
            _bytes[id] = ByteLevelAlphabet.BytesOf(token) ?? Encoding.UTF8.GetBytes(token);
        }

        foreach (var token in spec.AddedTokens)
        {
            _bytes[token.Id] = Encoding.UTF8.GetBytes(token.Content);
            _special[token.Id] = token.Special;
        }

        BosTokenId = bos;
        EosTokenId = eos;
        PadTokenId = pad;
    }

    public string Description => $"{_spec.Source} (byte-level BPE, {IdCount} ids)";

    public int? BosTokenId { get; }

    public int? EosTokenId { get; }

    public int? PadTokenId { get; }

    public int IdCount { get; }

    /// <summary>The added tokens of tokenizer.json by content, special or not.</summary>
    public IReadOnlyDictionary<string, int> AddedTokens => _added;

    /// <summary>Reads tokenizer.json; refuses what Nestor does not support with <see cref="TokenizerFormatException"/>.</summary>
    public static HfTokenizer Load(string path, int? bos = null, int? eos = null, int? pad = null) => new(HfTokenizerJson.Read(path), bos, eos, pad);

    public static HfTokenizer Create(HfTokenizerSpec spec, int? bos, int? eos, int? pad) => new(spec, bos, eos, pad);

    public IReadOnlyList<long> Encode(string text)
    {
        if (!_spec.IgnoreMerges)
        {
            return [.. _bpe.EncodeToIds(text).Select(i => (long)i)];
        }

        // ignore_merges: a piece found whole in the vocabulary is one token, whatever the merges would make of it.
        var ids = new List<long>();
        foreach (var (offset, length) in _preTokenizer.PreTokenize(text))
        {
            var piece = text.Substring(offset, length);
            if (_added.TryGetValue(piece, out int id) || _spec.Vocabulary.TryGetValue(HfTokenizerSpec.ToAlphabet(piece), out id))
            {
                ids.Add(id);
                continue;
            }

            ids.AddRange(_bpe.EncodeToIds(piece, considerPreTokenization: false, considerNormalization: false).Select(i => (long)i));
        }

        return ids;
    }

    public string Decode(IEnumerable<long> ids, bool skipSpecialTokens = true) =>
        Utf8StreamDecoder.DecodeAll(ids, skipSpecialTokens ? BytesOfText : BytesOf);

    public ITokenStreamDecoder NewStreamDecoder() => new Utf8StreamDecoder(BytesOfText);

    private ReadOnlyMemory<byte> BytesOf(long id) => id >= 0 && id < _bytes.Length ? _bytes[id] : ReadOnlyMemory<byte>.Empty;

    private ReadOnlyMemory<byte> BytesOfText(long id) => id >= 0 && id < _bytes.Length && !_special[id] ? _bytes[id] : ReadOnlyMemory<byte>.Empty;
}
