using System.Text;
using System.Text.RegularExpressions;

namespace Nestor.Tokenization;

/// <summary>An added token of tokenizer.json ("added_tokens"): cut out of the text before pre-tokenization.</summary>
public sealed record AddedToken(int Id, string Content, bool Special);

/// <summary>What Nestor reads from a Hugging Face tokenizer.json: a byte-level BPE model and how text is split before it.</summary>
public sealed record HfTokenizerSpec(
    string Source,
    IReadOnlyDictionary<string, int> Vocabulary,
    IReadOnlyList<string> Merges,
    IReadOnlyList<AddedToken> AddedTokens,
    Regex Splitter,
    bool IgnoreMerges,
    string? UnknownToken)
{
    /// <summary>The id of a token given by its text (an added token, else a vocabulary entry), or null.</summary>
    public int? IdOf(string token) =>
        AddedTokens.LastOrDefault(t => t.Content == token)?.Id
        ?? (Vocabulary.TryGetValue(ToAlphabet(token), out int id) ? id : null);

    /// <summary>Text as the vocabulary writes it: each UTF-8 byte as its character of the byte-level alphabet.</summary>
    public static string ToAlphabet(string text) => string.Concat(Encoding.UTF8.GetBytes(text).Select(ByteLevelAlphabet.Of));
}
