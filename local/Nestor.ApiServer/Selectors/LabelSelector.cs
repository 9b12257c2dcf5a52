using System.Globalization;
using Nestor.ApiServer.Http;

namespace Nestor.ApiServer.Selectors;

/// <summary>
/// A label selector in the syntax of k8s.io/apimachinery/pkg/labels: equality (a=b, a==b, a!=b), set-based
/// (a in (x,y), a notin (x), a, !a) and numeric comparisons (a&gt;1, a&lt;1), comma-separated (all must hold).
/// </summary>
internal sealed class LabelSelector
{
    private enum Op
    {
        Equals,
        NotEquals,
        In,
        NotIn,
        Exists,
        DoesNotExist,
        GreaterThan,
        LessThan,
    }

    private sealed record Requirement(string Key, Op Operator, IReadOnlyList<string> Values);

    private readonly List<Requirement> _requirements;

    private LabelSelector(List<Requirement> requirements) => _requirements = requirements;

    public static readonly LabelSelector Everything = new([]);

    public bool IsEmpty => _requirements.Count == 0;

    public bool Matches(IReadOnlyDictionary<string, string> labels) => _requirements.All(r => Matches(r, labels));

    private static bool Matches(Requirement r, IReadOnlyDictionary<string, string> labels)
    {
        var has = labels.TryGetValue(r.Key, out var value);
        return r.Operator switch
        {
            Op.Equals or Op.In => has && r.Values.Contains(value!, StringComparer.Ordinal),
            Op.NotEquals or Op.NotIn => !has || !r.Values.Contains(value!, StringComparer.Ordinal),
            Op.Exists => has,
            Op.DoesNotExist => !has,
            Op.GreaterThan => has && long.TryParse(value, CultureInfo.InvariantCulture, out var g) && g > long.Parse(r.Values[0], CultureInfo.InvariantCulture),
            Op.LessThan => has && long.TryParse(value, CultureInfo.InvariantCulture, out var l) && l < long.Parse(r.Values[0], CultureInfo.InvariantCulture),
            _ => false,
        };
    }

    public static LabelSelector Parse(string? text)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return Everything;
        }

        var requirements = new List<Requirement>();
        var lexer = new Lexer(text);
        while (true)
        {
            requirements.Add(ParseRequirement(lexer, text));
            lexer.SkipSpaces();
            if (lexer.AtEnd)
            {
                break;
            }

            if (!lexer.TryConsume(','))
            {
                throw Invalid(text, $"expected ',' at position {lexer.Position}");
            }
        }

        return new LabelSelector(requirements);
    }

    private static Requirement ParseRequirement(Lexer lexer, string text)
    {
        lexer.SkipSpaces();
        if (lexer.TryConsume('!'))
        {
            lexer.SkipSpaces();
            return new Requirement(Key(lexer, text), Op.DoesNotExist, []);
        }

        var key = Key(lexer, text);
        lexer.SkipSpaces();
        if (lexer.AtEnd || lexer.Peek == ',')
        {
            return new Requirement(key, Op.Exists, []);
        }

        if (lexer.TryConsume("==") || lexer.TryConsume('='))
        {
            return new Requirement(key, Op.Equals, [Value(lexer, text)]);
        }

        if (lexer.TryConsume("!="))
        {
            return new Requirement(key, Op.NotEquals, [Value(lexer, text)]);
        }

        if (lexer.TryConsume('>') || lexer.TryConsume('<'))
        {
            var op = text[lexer.Position - 1] == '>' ? Op.GreaterThan : Op.LessThan;
            var value = Value(lexer, text);
            return long.TryParse(value, CultureInfo.InvariantCulture, out _)
                ? new Requirement(key, op, [value])
                : throw Invalid(text, $"for 'Gt', 'Lt' operators, the value must be an integer");
        }

        var word = lexer.Word();
        var setOp = word switch
        {
            "in" => Op.In,
            "notin" => Op.NotIn,
            _ => throw Invalid(text, $"found '{word}', expected: in, notin, =, ==, !=, gt, lt"),
        };
        lexer.SkipSpaces();
        if (!lexer.TryConsume('('))
        {
            throw Invalid(text, "found '', expected: '('");
        }

        var values = new List<string>();
        while (true)
        {
            lexer.SkipSpaces();
            if (lexer.TryConsume(')'))
            {
                break;
            }

            values.Add(Value(lexer, text));
            lexer.SkipSpaces();
            if (lexer.TryConsume(')'))
            {
                break;
            }

            if (!lexer.TryConsume(','))
            {
                throw Invalid(text, "expected ',' or ')'");
            }
        }

        return new Requirement(key, setOp, values);
    }

    private static string Key(Lexer lexer, string text)
    {
        var key = lexer.Word();
        return key.Length == 0 ? throw Invalid(text, $"expected a label key at position {lexer.Position}") : key;
    }

    private static string Value(Lexer lexer, string text)
    {
        lexer.SkipSpaces();
        return lexer.Word();
    }

    private static ApiException Invalid(string text, string detail) =>
        ApiException.BadRequest($"unable to parse requirement: {detail} (selector \"{text}\")");

    private sealed class Lexer(string text)
    {
        public int Position { get; private set; }

        public bool AtEnd => Position >= text.Length;

        public char Peek => text[Position];

        public void SkipSpaces()
        {
            while (!AtEnd && char.IsWhiteSpace(Peek))
            {
                Position++;
            }
        }

        public bool TryConsume(char c)
        {
            if (!AtEnd && Peek == c)
            {
                Position++;
                return true;
            }

            return false;
        }

        public bool TryConsume(string s)
        {
            if (string.CompareOrdinal(text, Position, s, 0, s.Length) == 0)
            {
                Position += s.Length;
                return true;
            }

            return false;
        }

        public string Word()
        {
            var start = Position;
            while (!AtEnd && (char.IsLetterOrDigit(Peek) || Peek is '-' or '_' or '.' or '/'))
            {
                Position++;
            }

            return text[start..Position];
        }
    }
}
