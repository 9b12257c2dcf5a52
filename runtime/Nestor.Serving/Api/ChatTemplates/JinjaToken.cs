namespace Nestor.Serving.Api.ChatTemplates;

internal enum TokenKind
{
    /// <summary>Literal template text (whitespace control already applied).</summary>
    Text,

    /// <summary><c>{{</c></summary>
    VariableBegin,

    /// <summary><c>}}</c></summary>
    VariableEnd,

    /// <summary><c>{%</c></summary>
    BlockBegin,

    /// <summary><c>%}</c></summary>
    BlockEnd,
    Name,
    String,
    Integer,
    Float,
    Operator,
    End,
}

/// <summary>One token; <see cref="Offset"/> is its index in the (newline-normalised) source, for error positions.</summary>
internal readonly record struct JinjaToken(TokenKind Kind, string Value, int Offset)
{
    public bool Is(TokenKind kind, string value) => Kind == kind && Value == value;

    public bool IsName(string name) => Kind == TokenKind.Name && Value == name;

    public bool IsOperator(string op) => Kind == TokenKind.Operator && Value == op;

    public override string ToString() => Kind switch
    {
        TokenKind.End => "the end of the template",
        TokenKind.Text => "template text",
        TokenKind.String => $"string '{Value}'",
        _ => $"'{Value}'",
    };
}
