using System.Globalization;

namespace Nestor.Serving.Api.ChatTemplates;

/// <summary>
/// Recursive descent over the lexer's tokens into statements and expressions, with Jinja's operator precedence
/// (lowest first): <c>a if c else b</c>, <c>or</c>, <c>and</c>, <c>not</c>, comparisons and <c>in</c>, <c>+ -</c>,
/// <c>~</c>, <c>* / // %</c>, <c>**</c>, unary <c>- +</c>, then postfix access, calls, filters and tests. Anything
/// outside the supported subset (an unknown tag, filter, test, function or method) fails here, at load time.
/// </summary>
internal sealed class JinjaParser(JinjaSource source, List<JinjaToken> tokens)
{
    private static readonly HashSet<string> CompareOps = ["==", "!=", "<", ">", "<=", ">="];

    private readonly HashSet<string> _macros = [];
    private readonly List<NameExpr> _calledNames = [];
    private int _i;
    private int _loopDepth;

    private JinjaToken Current => tokens[_i];

    public IReadOnlyList<Stmt> ParseTemplate()
    {
        var (body, _) = ParseBody(-1);
        foreach (var call in _calledNames)
        {
            if (!JinjaGlobals.Functions.Contains(call.Name) && !_macros.Contains(call.Name))
            {
                throw source.Error(call.Offset, $"unknown function '{call.Name}' (supported: {string.Join(", ", JinjaGlobals.Functions.Order())} and the template's macros)");
            }
        }

        return body;
    }

    /// <summary>Statements until a block tag with one of <paramref name="ends"/> (consumed with its keyword) or the end.</summary>
    private (List<Stmt> Body, string? End) ParseBody(int openedAt, params string[] ends)
    {
        var body = new List<Stmt>();
        while (true)
        {
            var token = Current;
            switch (token.Kind)
            {
                case TokenKind.End:
                    if (ends.Length > 0)
                    {
                        throw source.Error(openedAt, $"this tag is never closed: expected {string.Join(" or ", ends.Select(e => "{% " + e + " %}"))}");
                    }

                    return (body, null);
                case TokenKind.Text:
                    body.Add(new TextStmt(token.Value));
                    _i++;
                    break;
                case TokenKind.VariableBegin:
                    _i++;
                    body.Add(new OutputStmt(ParseExpression()));
                    Expect(TokenKind.VariableEnd, "}}");
                    break;
                case TokenKind.BlockBegin:
                    var keyword = tokens[_i + 1];
                    if (keyword.Kind == TokenKind.Name && ends.Contains(keyword.Value))
                    {
                        _i += 2;
                        return (body, keyword.Value);
                    }

                    _i += 2;
                    body.AddRange(ParseStatement(token.Offset, keyword));
                    break;
                default:
                    throw source.Error(token.Offset, $"unexpected {token}");
            }
        }
    }

    private IEnumerable<Stmt> ParseStatement(int tagOffset, JinjaToken keyword)
    {
        if (keyword.Kind != TokenKind.Name)
        {
            throw source.Error(keyword.Offset, $"expected a tag name after '{{%', got {keyword}");
        }

        switch (keyword.Value)
        {
            case "if":
                return [ParseIf(tagOffset) with { Offset = tagOffset }];
            case "for":
                return [ParseFor(tagOffset) with { Offset = tagOffset }];
            case "set":
                return [ParseSet(tagOffset) with { Offset = tagOffset }];
            case "macro":
                return [ParseMacro(tagOffset) with { Offset = tagOffset }];
            case "break" or "continue":
                if (_loopDepth == 0)
                {
                    throw source.Error(keyword.Offset, $"'{keyword.Value}' outside a for loop");
                }

                ExpectBlockEnd();
                return [keyword.Value == "break" ? new BreakStmt() : new ContinueStmt()];
            case "generation":
                // transformers' AssistantTracker marks assistant text for masks; it renders its body unchanged.
                ExpectBlockEnd();
                var (body, _) = ParseBody(tagOffset, "endgeneration");
                ExpectBlockEnd();
                return body;
            case "elif" or "else" or "endif" or "endfor" or "endset" or "endmacro" or "endgeneration":
                throw source.Error(keyword.Offset, $"unexpected '{{% {keyword.Value} %}}' with no open tag it closes");
            default:
                throw source.Error(keyword.Offset,
                    $"unsupported tag '{keyword.Value}' (supported: if/elif/else, for/else, set, macro, break, continue, generation)");
        }
    }

    private IfStmt ParseIf(int tagOffset)
    {
        var branches = new List<(Expr, IReadOnlyList<Stmt>)>();
        var condition = ParseExpression();
        while (true)
        {
            ExpectBlockEnd();
            var (body, end) = ParseBody(tagOffset, "elif", "else", "endif");
            branches.Add((condition, body));
            if (end == "elif")
            {
                condition = ParseExpression();
                continue;
            }

            List<Stmt> elseBody = [];
            if (end == "else")
            {
                ExpectBlockEnd();
                (elseBody, _) = ParseBody(tagOffset, "endif");
            }

            ExpectBlockEnd();
            return new IfStmt(branches, elseBody);
        }
    }

    private ForStmt ParseFor(int tagOffset)
    {
        var target = ParseAssignTarget(allowAttribute: false);
        if (!Current.IsName("in"))
        {
            throw source.Error(Current.Offset, $"expected 'in' in the for tag, got {Current}");
        }

        _i++;
        var iterable = ParseExpression(withConditional: false);
        Expr? filter = null;
        if (Current.IsName("if"))
        {
            _i++;
            filter = ParseExpression();
        }

        if (Current.IsName("recursive"))
        {
            throw source.Error(Current.Offset, "recursive for loops are not supported");
        }

        ExpectBlockEnd();
        _loopDepth++;
        var (body, end) = ParseBody(tagOffset, "else", "endfor");
        _loopDepth--;
        List<Stmt> elseBody = [];
        if (end == "else")
        {
            ExpectBlockEnd();
            (elseBody, _) = ParseBody(tagOffset, "endfor");
        }

        ExpectBlockEnd();
        return new ForStmt(target, iterable, filter, body, elseBody);
    }

    private Stmt ParseSet(int tagOffset)
    {
        var target = ParseAssignTarget(allowAttribute: true);
        if (Current.IsOperator("="))
        {
            _i++;
            var value = ParseExpression();
            if (Current.IsOperator(","))
            {
                var items = new List<Expr> { value };
                while (Current.IsOperator(","))
                {
                    _i++;
                    items.Add(ParseExpression());
                }

                value = new ListExpr(value.Offset, items, IsTuple: true);
            }

            ExpectBlockEnd();
            return new SetStmt(target, value);
        }

        if (target is not NameTarget)
        {
            throw source.Error(Current.Offset, "a block set ({% set x %}...{% endset %}) assigns one name");
        }

        ExpectBlockEnd();
        var (body, _) = ParseBody(tagOffset, "endset");
        ExpectBlockEnd();
        return new SetBlockStmt(target, body);
    }

    private MacroStmt ParseMacro(int tagOffset)
    {
        var name = ExpectName();
        Expect(TokenKind.Operator, "(");
        var parameters = new List<(string, Expr?)>();
        while (!Current.IsOperator(")"))
        {
            if (parameters.Count > 0)
            {
                Expect(TokenKind.Operator, ",");
                if (Current.IsOperator(")"))
                {
                    break;
                }
            }

            var parameter = ExpectName();
            Expr? fallback = null;
            if (Current.IsOperator("="))
            {
                _i++;
                fallback = ParseExpression();
            }

            parameters.Add((parameter, fallback));
        }

        _i++;
        ExpectBlockEnd();
        _macros.Add(name);
        int outerLoops = _loopDepth;
        _loopDepth = 0;
        var (body, _) = ParseBody(tagOffset, "endmacro");
        _loopDepth = outerLoops;
        if (Current.Kind == TokenKind.Name && Current.Value == name)
        {
            _i++;
        }

        ExpectBlockEnd();
        return new MacroStmt(name, parameters, body);
    }

    private Target ParseAssignTarget(bool allowAttribute)
    {
        bool parenthesised = Current.IsOperator("(");
        if (parenthesised)
        {
            _i++;
        }

        var names = new List<string> { ExpectName() };
        if (allowAttribute && !parenthesised && Current.IsOperator("."))
        {
            _i++;
            return new AttributeTarget(names[0], ExpectName());
        }

        while (Current.IsOperator(","))
        {
            _i++;
            if (Current.Kind != TokenKind.Name)
            {
                break;
            }

            names.Add(ExpectName());
        }

        if (parenthesised)
        {
            Expect(TokenKind.Operator, ")");
        }

        return names.Count == 1 && !parenthesised ? new NameTarget(names[0]) : new TupleTarget(names);
    }

    public Expr ParseExpression(bool withConditional = true)
    {
        if (!withConditional)
        {
            return ParseOr();
        }

        var expr = ParseOr();
        while (Current.IsName("if"))
        {
            int at = Current.Offset;
            _i++;
            var condition = ParseOr();
            Expr? otherwise = null;
            if (Current.IsName("else"))
            {
                _i++;
                otherwise = ParseExpression();
            }

            expr = new ConditionalExpr(at, condition, expr, otherwise);
        }

        return expr;
    }

    private Expr ParseOr()
    {
        var left = ParseAnd();
        while (Current.IsName("or"))
        {
            int at = Current.Offset;
            _i++;
            left = new OrExpr(at, left, ParseAnd());
        }

        return left;
    }

    private Expr ParseAnd()
    {
        var left = ParseNot();
        while (Current.IsName("and"))
        {
            int at = Current.Offset;
            _i++;
            left = new AndExpr(at, left, ParseNot());
        }

        return left;
    }

    private Expr ParseNot()
    {
        if (Current.IsName("not"))
        {
            int at = Current.Offset;
            _i++;
            return new NotExpr(at, ParseNot());
        }

        return ParseCompare();
    }

    private Expr ParseCompare()
    {
        var first = ParseAdditive();
        var rest = new List<(string, Expr)>();
        while (true)
        {
            if (Current.Kind == TokenKind.Operator && CompareOps.Contains(Current.Value))
            {
                var op = Current.Value;
                _i++;
                rest.Add((op, ParseAdditive()));
            }
            else if (Current.IsName("in"))
            {
                _i++;
                rest.Add(("in", ParseAdditive()));
            }
            else if (Current.IsName("not") && tokens[_i + 1].IsName("in"))
            {
                _i += 2;
                rest.Add(("not in", ParseAdditive()));
            }
            else
            {
                break;
            }
        }

        return rest.Count == 0 ? first : new CompareExpr(first.Offset, first, rest);
    }

    private Expr ParseAdditive()
    {
        var left = ParseConcat();
        while (Current.IsOperator("+") || Current.IsOperator("-"))
        {
            var op = Current;
            _i++;
            left = new BinaryExpr(op.Offset, op.Value, left, ParseConcat());
        }

        return left;
    }

    private Expr ParseConcat()
    {
        var left = ParseMultiplicative();
        while (Current.IsOperator("~"))
        {
            var op = Current;
            _i++;
            left = new BinaryExpr(op.Offset, "~", left, ParseMultiplicative());
        }

        return left;
    }

    private Expr ParseMultiplicative()
    {
        var left = ParsePower();
        while (Current.Kind == TokenKind.Operator && Current.Value is "*" or "/" or "//" or "%")
        {
            var op = Current;
            _i++;
            left = new BinaryExpr(op.Offset, op.Value, left, ParsePower());
        }

        return left;
    }

    private Expr ParsePower()
    {
        var left = ParseUnary(withFilters: true);
        while (Current.IsOperator("**"))
        {
            var op = Current;
            _i++;
            left = new BinaryExpr(op.Offset, "**", left, ParseUnary(withFilters: true));
        }

        return left;
    }

    private Expr ParseUnary(bool withFilters)
    {
        Expr node;
        if (Current.IsOperator("-") || Current.IsOperator("+"))
        {
            var op = Current;
            _i++;
            node = new UnaryExpr(op.Offset, op.Value, ParseUnary(withFilters: false));
        }
        else
        {
            node = ParsePrimary();
        }

        node = ParsePostfix(node);
        return withFilters ? ParseFiltersAndTests(node) : node;
    }

    private Expr ParsePrimary()
    {
        var token = Current;
        _i++;
        switch (token.Kind)
        {
            case TokenKind.Name:
                return token.Value switch
                {
                    "true" or "True" => new LiteralExpr(token.Offset, true),
                    "false" or "False" => new LiteralExpr(token.Offset, false),
                    "none" or "None" => new LiteralExpr(token.Offset, null),
                    _ => new NameExpr(token.Offset, token.Value),
                };
            case TokenKind.String:
                var text = token.Value;
                while (Current.Kind == TokenKind.String)
                {
                    text += Current.Value;
                    _i++;
                }

                return new LiteralExpr(token.Offset, text);
            case TokenKind.Integer:
                return new LiteralExpr(token.Offset, long.Parse(token.Value, CultureInfo.InvariantCulture));
            case TokenKind.Float:
                return new LiteralExpr(token.Offset, double.Parse(token.Value, CultureInfo.InvariantCulture));
            case TokenKind.Operator when token.Value == "(":
                if (Current.IsOperator(")"))
                {
                    _i++;
                    return new ListExpr(token.Offset, [], IsTuple: true);
                }

                var inner = ParseExpression();
                if (Current.IsOperator(","))
                {
                    var items = new List<Expr> { inner };
                    while (Current.IsOperator(","))
                    {
                        _i++;
                        if (Current.IsOperator(")"))
                        {
                            break;
                        }

                        items.Add(ParseExpression());
                    }

                    inner = new ListExpr(token.Offset, items, IsTuple: true);
                }

                Expect(TokenKind.Operator, ")");
                return inner;
            case TokenKind.Operator when token.Value == "[":
                var list = new List<Expr>();
                while (!Current.IsOperator("]"))
                {
                    if (list.Count > 0)
                    {
                        Expect(TokenKind.Operator, ",");
                        if (Current.IsOperator("]"))
                        {
                            break;
                        }
                    }

                    list.Add(ParseExpression());
                }

                _i++;
                return new ListExpr(token.Offset, list);
            case TokenKind.Operator when token.Value == "{":
                var pairs = new List<(Expr, Expr)>();
                while (!Current.IsOperator("}"))
                {
                    if (pairs.Count > 0)
                    {
                        Expect(TokenKind.Operator, ",");
                        if (Current.IsOperator("}"))
                        {
                            break;
                        }
                    }

                    var key = ParseExpression();
                    Expect(TokenKind.Operator, ":");
                    pairs.Add((key, ParseExpression()));
                }

                _i++;
                return new DictExpr(token.Offset, pairs);
            default:
                throw source.Error(token.Offset, $"expected an expression, got {token}");
        }
    }

    private Expr ParsePostfix(Expr node)
    {
        while (true)
        {
            var token = Current;
            if (token.IsOperator("."))
            {
                _i++;
                if (Current.Kind == TokenKind.Integer)
                {
                    node = new ItemExpr(token.Offset, node, new LiteralExpr(Current.Offset, long.Parse(Current.Value, CultureInfo.InvariantCulture)));
                    _i++;
                }
                else
                {
                    node = new AttributeExpr(token.Offset, node, ExpectName());
                }
            }
            else if (token.IsOperator("["))
            {
                _i++;
                node = ParseSubscript(token.Offset, node);
            }
            else if (token.IsOperator("("))
            {
                node = ParseCall(node);
            }
            else
            {
                return node;
            }
        }
    }

    private Expr ParseSubscript(int at, Expr target)
    {
        Expr? start = null;
        if (!Current.IsOperator(":"))
        {
            start = ParseExpression();
            if (Current.IsOperator("]"))
            {
                _i++;
                return new ItemExpr(at, target, start);
            }

            if (!Current.IsOperator(":"))
            {
                throw source.Error(Current.Offset, $"expected ']' or ':' in a subscript, got {Current}");
            }
        }

        _i++;
        Expr? stop = Current.IsOperator("]") || Current.IsOperator(":") ? null : ParseExpression();
        Expr? step = null;
        if (Current.IsOperator(":"))
        {
            _i++;
            step = Current.IsOperator("]") ? null : ParseExpression();
        }

        Expect(TokenKind.Operator, "]");
        return new SliceExpr(at, target, start, stop, step);
    }

    private CallExpr ParseCall(Expr callee)
    {
        int at = Current.Offset;
        var (args, kwargs) = ParseArguments();
        switch (callee)
        {
            case NameExpr name:
                _calledNames.Add(name);
                break;
            case AttributeExpr attribute when JinjaMethods.Names.Contains(attribute.Name):
                break;
            case AttributeExpr attribute:
                throw source.Error(attribute.Offset, $"unsupported method '{attribute.Name}()' (supported: {string.Join(", ", JinjaMethods.Names.Order())})");
            default:
                throw source.Error(at, "only functions, macros and methods can be called");
        }

        return new CallExpr(at, callee, args, kwargs);
    }

    private (List<Expr> Args, List<(string, Expr)> Kwargs) ParseArguments()
    {
        Expect(TokenKind.Operator, "(");
        var args = new List<Expr>();
        var kwargs = new List<(string, Expr)>();
        while (!Current.IsOperator(")"))
        {
            if (args.Count + kwargs.Count > 0)
            {
                Expect(TokenKind.Operator, ",");
                if (Current.IsOperator(")"))
                {
                    break;
                }
            }

            if (Current.IsOperator("*") || Current.IsOperator("**"))
            {
                throw source.Error(Current.Offset, "*args and **kwargs are not supported");
            }

            if (Current.Kind == TokenKind.Name && tokens[_i + 1].IsOperator("="))
            {
                var name = Current.Value;
                _i += 2;
                kwargs.Add((name, ParseExpression()));
            }
            else if (kwargs.Count > 0)
            {
                throw source.Error(Current.Offset, "a positional argument after a keyword argument");
            }
            else
            {
                args.Add(ParseExpression());
            }
        }

        _i++;
        return (args, kwargs);
    }

    private Expr ParseFiltersAndTests(Expr node)
    {
        while (true)
        {
            if (Current.IsOperator("|"))
            {
                int at = Current.Offset;
                _i++;
                var nameToken = Current;
                var name = ExpectName();
                if (!JinjaFilters.Names.Contains(name))
                {
                    throw source.Error(nameToken.Offset, $"unknown filter '{name}' (supported: {string.Join(", ", JinjaFilters.Names.Order())})");
                }

                var (args, kwargs) = Current.IsOperator("(") ? ParseArguments() : ([], []);
                node = new FilterExpr(at, node, name, args, kwargs);
            }
            else if (Current.IsName("is"))
            {
                int at = Current.Offset;
                _i++;
                bool negated = Current.IsName("not");
                if (negated)
                {
                    _i++;
                }

                var nameToken = Current;
                var name = ExpectName();
                if (!JinjaPredicates.Names.Contains(name))
                {
                    throw source.Error(nameToken.Offset, $"unknown test '{name}' (supported: {string.Join(", ", JinjaPredicates.Names.Order())})");
                }

                List<Expr> args = [];
                if (Current.IsOperator("("))
                {
                    (args, var kwargs) = ParseArguments();
                    if (kwargs.Count > 0)
                    {
                        throw source.Error(at, "tests take no keyword arguments");
                    }
                }
                else if (Current.Kind is TokenKind.String or TokenKind.Integer or TokenKind.Float
                    || (Current.Kind == TokenKind.Name && Current.Value is not ("else" or "or" or "and" or "if"))
                    || Current.IsOperator("[") || Current.IsOperator("{"))
                {
                    args.Add(ParsePostfix(ParsePrimary()));
                }

                node = new TestExpr(at, node, name, args, negated);
            }
            else if (Current.IsOperator("("))
            {
                node = ParseCall(node);
            }
            else
            {
                return node;
            }
        }
    }

    private string ExpectName()
    {
        var token = Current;
        if (token.Kind != TokenKind.Name)
        {
            throw source.Error(token.Offset, $"expected a name, got {token}");
        }

        _i++;
        return token.Value;
    }

    private void Expect(TokenKind kind, string value)
    {
        if (!Current.Is(kind, value))
        {
            throw source.Error(Current.Offset, $"expected '{value}', got {Current}");
        }

        _i++;
    }

    private void ExpectBlockEnd()
    {
        if (Current.Kind != TokenKind.BlockEnd)
        {
            throw source.Error(Current.Offset, $"expected '%}}', got {Current}");
        }

        _i++;
    }
}
