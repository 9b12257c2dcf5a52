using System.Text.RegularExpressions;
using Microsoft.ML.Tokenizers;

namespace Nestor.Tokenization;

/// <summary>
/// Hugging Face's pre-tokenization for byte-level BPE: added tokens are cut out first (leftmost, longest), then the
/// rest is split by the regex with the "isolated" behaviour: every match and every stretch between matches is a piece.
/// </summary>
internal sealed class SplitPreTokenizer(Regex splitter, IEnumerable<string> addedTokens) : PreTokenizer
{
    private readonly Regex? _added = addedTokens.Any()
        ? new Regex(string.Join("|", addedTokens.OrderByDescending(t => t.Length).ThenBy(t => t, StringComparer.Ordinal).Select(Regex.Escape)), RegexOptions.CultureInvariant)
        : null;

    public override IEnumerable<(int Offset, int Length)> PreTokenize(string text) => PreTokenize(text.AsSpan());

    public override IEnumerable<(int Offset, int Length)> PreTokenize(ReadOnlySpan<char> text)
    {
        var pieces = new List<(int Offset, int Length)>();
        int start = 0;
        if (_added is not null)
        {
            foreach (var m in _added.EnumerateMatches(text))
            {
                Split(text, start, m.Index, pieces);
                pieces.Add((m.Index, m.Length));
                start = m.Index + m.Length;
            }
        }

        Split(text, start, text.Length, pieces);
        return pieces;
    }

    private void Split(ReadOnlySpan<char> text, int from, int to, List<(int Offset, int Length)> pieces)
    {
        if (to <= from)
        {
            return;
        }

        int at = from;
        foreach (var m in splitter.EnumerateMatches(text[from..to]))
        {
            if (m.Length == 0)
            {
                continue;
            }

            int index = from + m.Index;
            if (index > at)
            {
                pieces.Add((at, index - at));
            }

            pieces.Add((index, m.Length));
            at = index + m.Length;
        }

        if (to > at)
        {
            pieces.Add((at, to - at));
        }
    }
}
