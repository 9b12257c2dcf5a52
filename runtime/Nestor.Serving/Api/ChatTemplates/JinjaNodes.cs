namespace Nestor.Serving.Api.ChatTemplates;

/// <summary>A statement of the template body.</summary>
internal abstract record Stmt
{
    /// <summary>Where the statement's tag starts, for the position of errors while rendering it.</summary>
    public int Offset { get; init; }
}

internal sealed record TextStmt(string Text) : Stmt;

internal sealed record OutputStmt(Expr Value) : Stmt;

internal sealed record IfStmt(IReadOnlyList<(Expr Condition, IReadOnlyList<Stmt> Body)> Branches, IReadOnlyList<Stmt> Else) : Stmt;

internal sealed record ForStmt(Target Target, Expr Iterable, Expr? Filter, IReadOnlyList<Stmt> Body, IReadOnlyList<Stmt> Else) : Stmt;

internal sealed record SetStmt(Target Target, Expr Value) : Stmt;

internal sealed record SetBlockStmt(Target Target, IReadOnlyList<Stmt> Body) : Stmt;

internal sealed record MacroStmt(string Name, IReadOnlyList<(string Name, Expr? Default)> Parameters, IReadOnlyList<Stmt> Body) : Stmt;

internal sealed record BreakStmt : Stmt;

internal sealed record ContinueStmt : Stmt;

/// <summary>Where <c>set</c> and <c>for</c> assign: a name, names to unpack, or a namespace attribute (<c>ns.x</c>).</summary>
internal abstract record Target;

internal sealed record NameTarget(string Name) : Target;

internal sealed record TupleTarget(IReadOnlyList<string> Names) : Target;

internal sealed record AttributeTarget(string Namespace, string Attribute) : Target;

/// <summary>An expression; <see cref="Offset"/> is where it starts in the source.</summary>
internal abstract record Expr(int Offset);

internal sealed record LiteralExpr(int Offset, object? Value) : Expr(Offset);

internal sealed record NameExpr(int Offset, string Name) : Expr(Offset);

internal sealed record ListExpr(int Offset, IReadOnlyList<Expr> Items, bool IsTuple = false) : Expr(Offset);

internal sealed record DictExpr(int Offset, IReadOnlyList<(Expr Key, Expr Value)> Items) : Expr(Offset);

internal sealed record AttributeExpr(int Offset, Expr Target, string Name) : Expr(Offset);

internal sealed record ItemExpr(int Offset, Expr Target, Expr Index) : Expr(Offset);

internal sealed record SliceExpr(int Offset, Expr Target, Expr? Start, Expr? Stop, Expr? Step) : Expr(Offset);

internal sealed record CallExpr(int Offset, Expr Callee, IReadOnlyList<Expr> Args, IReadOnlyList<(string Name, Expr Value)> Kwargs) : Expr(Offset);

internal sealed record FilterExpr(int Offset, Expr Value, string Name, IReadOnlyList<Expr> Args, IReadOnlyList<(string Name, Expr Value)> Kwargs) : Expr(Offset);

internal sealed record TestExpr(int Offset, Expr Value, string Name, IReadOnlyList<Expr> Args, bool Negated) : Expr(Offset);

internal sealed record BinaryExpr(int Offset, string Op, Expr Left, Expr Right) : Expr(Offset);

internal sealed record UnaryExpr(int Offset, string Op, Expr Operand) : Expr(Offset);

/// <summary>A chain of comparisons (<c>a &lt; b &lt;= c</c>), true when every link is.</summary>
internal sealed record CompareExpr(int Offset, Expr First, IReadOnlyList<(string Op, Expr Right)> Rest) : Expr(Offset);

internal sealed record ConditionalExpr(int Offset, Expr Condition, Expr Then, Expr? Else) : Expr(Offset);

internal sealed record AndExpr(int Offset, Expr Left, Expr Right) : Expr(Offset);

internal sealed record OrExpr(int Offset, Expr Left, Expr Right) : Expr(Offset);

internal sealed record NotExpr(int Offset, Expr Operand) : Expr(Offset);
