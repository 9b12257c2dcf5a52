using System.Globalization;
using System.Text;

namespace Nestor.Serving.Api.ChatTemplates;

/// <summary>
/// Splits a template into text and tag tokens, applying Jinja's whitespace control as Hugging Face configures it
/// (<c>trim_blocks</c> and <c>lstrip_blocks</c> on): <c>{%-</c>/<c>-%}</c> (and the same for <c>{{ }}</c>, <c>{# #}</c>)
/// strip all whitespace on that side; a block or comment tag drops the first newline after it and the spaces and tabs
/// before it on its own line, unless written <c>{%+</c>/<c>+%}</c>.
/// </summary>
internal sealed class JinjaLexer(JinjaSource source)
{
    private static readonly string[] Operators =
        ["//", "**", "==", "!=", "<=", ">=", "+", "-", "*", "/", "%", "~", "<", ">", "=", ".", ",", ":", "|", "(", ")", "[", "]", "{", "}"];

    private readonly string _s = source.Text;
    private readonly List<JinjaToken> _tokens = [];

    public List<JinjaToken> Tokenize()
    {
        int pos = 0;
        bool lineStarting = true;
        bool stripAll = false, stripNewline = false;
        while (pos <= _s.Length)
        {
            int tag = NextTagStart(pos);
            var text = _s[pos..tag];
            int textOffset = pos;
            if (stripAll)
            {
                var trimmed = text.TrimStart();
                textOffset += text.Length - trimmed.Length;
                text = trimmed;
            }
            else if (stripNewline && text.StartsWith('\n'))
            {
                text = text[1..];
                textOffset++;
            }

            if (tag == _s.Length)
            {
                AddText(text, textOffset);
                break;
            }

            char kind = _s[tag + 1];
            char sign = tag + 2 < _s.Length ? _s[tag + 2] : '\0';
            if (sign == '-')
            {
                text = text.TrimEnd();
            }
            else if (kind != '{' && sign != '+')
            {
                int lineStart = text.LastIndexOf('\n') + 1;
                if ((lineStart > 0 || lineStarting) && text.AsSpan(lineStart).IndexOfAnyExcept(" \t\f\v") < 0)
                {
                    text = text[..lineStart];
                }
            }

            AddText(text, textOffset);
            int inner = tag + 2 + (sign is '-' or '+' ? 1 : 0);
            (pos, char endSign) = kind switch
            {
                '#' => Comment(tag, inner),
                '{' => Tag(tag, inner, TokenKind.VariableBegin, TokenKind.VariableEnd, "}}"),
                _ => Tag(tag, inner, TokenKind.BlockBegin, TokenKind.BlockEnd, "%}"),
            };
            stripAll = endSign == '-';
            stripNewline = endSign != '+' && kind != '{';
            lineStarting = false;
            if (stripAll)
            {
                // "-%}" consumes all whitespace after it: the next text starts a line when that whitespace ended with a newline.
                int end = pos;
                while (end < _s.Length && char.IsWhiteSpace(_s[end]))
                {
                    end++;
                }

                lineStarting = end > pos && _s[end - 1] == '\n';
            }
            else if (stripNewline)
            {
                lineStarting = pos < _s.Length && _s[pos] == '\n';
            }
        }

        _tokens.Add(new JinjaToken(TokenKind.End, "", _s.Length));
        return _tokens;
    }

    private void AddText(string text, int offset)
    {
        if (text.Length > 0)
        {
            _tokens.Add(new JinjaToken(TokenKind.Text, text, offset));
        }
    }

    private int NextTagStart(int from)
    {
        for (int i = from; i + 1 < _s.Length; i++)
        {
            if (_s[i] == '{' && _s[i + 1] is '{' or '%' or '#')
            {
                return i;
            }
        }

        return _s.Length;
    }

    private (int Pos, char Sign) Comment(int start, int inner)
    {
        int end = _s.IndexOf("#}", inner, StringComparison.Ordinal);
        if (end < 0)
        {
            throw source.Error(start, "unterminated comment: '{#' without '#}'");
        }

        char sign = end > inner && _s[end - 1] is '-' or '+' ? _s[end - 1] : '\0';
        return (end + 2, sign);
    }

    private (int Pos, char Sign) Tag(int start, int pos, TokenKind begin, TokenKind endKind, string end)
    {
        _tokens.Add(new JinjaToken(begin, _s.Substring(start, 2), start));
        int depth = 0;
        while (true)
        {
            while (pos < _s.Length && char.IsWhiteSpace(_s[pos]))
            {
                pos++;
            }

            if (pos >= _s.Length)
            {
                throw source.Error(start, $"unterminated tag: '{_s.Substring(start, 2)}' without '{end}'");
            }

            if (depth == 0)
            {
                foreach (char sign in "-+\0")
                {
                    var closing = sign == '\0' ? end : sign + end;
                    if (string.CompareOrdinal(_s, pos, closing, 0, closing.Length) == 0)
                    {
                        _tokens.Add(new JinjaToken(endKind, end, pos));
                        return (pos + closing.Length, sign);
                    }
                }
            }

            char c = _s[pos];
            if (char.IsAsciiLetter(c) || c == '_')
            {
                int s = pos;
                while (pos < _s.Length && (char.IsAsciiLetterOrDigit(_s[pos]) || _s[pos] == '_'))
                {
                    pos++;
                }

                _tokens.Add(new JinjaToken(TokenKind.Name, _s[s..pos], s));
            }
            else if (char.IsAsciiDigit(c))
            {
                pos = Number(pos);
            }
            else if (c is '\'' or '"')
            {
                pos = StringLiteral(pos);
            }
            else
            {
                var op = Operators.FirstOrDefault(o => string.CompareOrdinal(_s, pos, o, 0, o.Length) == 0)
                    ?? throw source.Error(pos, $"unexpected character '{c}'");
                depth += op is "(" or "[" or "{" ? 1 : op is ")" or "]" or "}" ? -1 : 0;
                if (depth < 0)
                {
                    throw source.Error(pos, $"unbalanced '{op}'");
                }

                _tokens.Add(new JinjaToken(TokenKind.Operator, op, pos));
                pos += op.Length;
            }
        }
    }

    private int Number(int pos)
    {
        int s = pos;
        bool isFloat = false;
        while (pos < _s.Length && (char.IsAsciiDigit(_s[pos]) || _s[pos] == '_'))
        {
            pos++;
        }

        if (pos + 1 < _s.Length && _s[pos] == '.' && char.IsAsciiDigit(_s[pos + 1]))
        {
            isFloat = true;
            pos++;
            while (pos < _s.Length && (char.IsAsciiDigit(_s[pos]) || _s[pos] == '_'))
            {
                pos++;
            }
        }

        if (pos < _s.Length && _s[pos] is 'e' or 'E')
        {
            int e = pos + 1;
            if (e < _s.Length && _s[e] is '+' or '-')
            {
                e++;
            }

            if (e < _s.Length && char.IsAsciiDigit(_s[e]))
            {
                isFloat = true;
                pos = e;
                while (pos < _s.Length && char.IsAsciiDigit(_s[pos]))
                {
                    pos++;
                }
            }
        }

        var text = _s[s..pos].Replace("_", "", StringComparison.Ordinal);
        if (!isFloat && !long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out _))
        {
            throw source.Error(s, $"integer literal {text} is out of range");
        }

        _tokens.Add(new JinjaToken(isFloat ? TokenKind.Float : TokenKind.Integer, text, s));
        return pos;
    }

    /// <summary>A quoted string with Python's escapes (<c>\n \t \r \\ \' \" \xhh \uXXXX</c> ...); other backslashes stay.</summary>
    private int StringLiteral(int start)
    {
        char quote = _s[start];
        var value = new StringBuilder();
        int pos = start + 1;
        while (true)
        {
            if (pos >= _s.Length)
            {
                throw source.Error(start, "unterminated string literal");
            }

            char c = _s[pos];
            if (c == quote)
            {
                _tokens.Add(new JinjaToken(TokenKind.String, value.ToString(), start));
                return pos + 1;
            }

            if (c != '\\' || pos + 1 >= _s.Length)
            {
                value.Append(c);
                pos++;
                continue;
            }

            char e = _s[pos + 1];
            pos += 2;
            switch (e)
            {
                case 'n': value.Append('\n'); break;
                case 't': value.Append('\t'); break;
                case 'r': value.Append('\r'); break;
                case 'a': value.Append('\a'); break;
                case 'b': value.Append('\b'); break;
                case 'f': value.Append('\f'); break;
                case 'v': value.Append('\v'); break;
                case '0': value.Append('\0'); break;
                case '\\' or '\'' or '"': value.Append(e); break;
                case '\n': break;
                case 'x' or 'u' or 'U':
                    int digits = e == 'x' ? 2 : e == 'u' ? 4 : 8;
                    if (pos + digits > _s.Length || !int.TryParse(_s.AsSpan(pos, digits), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out int code))
                    {
                        throw source.Error(pos - 2, $"invalid \\{e} escape in a string literal");
                    }

                    value.Append(char.ConvertFromUtf32(code));
                    pos += digits;
                    break;
                default: value.Append('\\').Append(e); break;
            }
        }
    }
}
