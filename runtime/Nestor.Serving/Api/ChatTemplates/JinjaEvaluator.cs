using System.Text;

namespace Nestor.Serving.Api.ChatTemplates;

/// <summary>Renders parsed statements: one instance per render, writing into a string builder.</summary>
internal sealed class JinjaEvaluator(JinjaSource source)
{
    private const int MaxOutputChars = 16 * 1024 * 1024;
    private const int MaxDepth = 64;

    private readonly StringBuilder _root = new();
    private int _depth;

    private enum Flow
    {
        Normal,
        Break,
        Continue,
    }

    public string Render(IReadOnlyList<Stmt> body, Scope scope)
    {
        Execute(body, scope, _root);
        return _root.ToString();
    }

    private Flow Execute(IReadOnlyList<Stmt> body, Scope scope, StringBuilder output)
    {
        foreach (var stmt in body)
        {
            var flow = Execute(stmt, scope, output);
            if (flow != Flow.Normal)
            {
                return flow;
            }

            if (output.Length > MaxOutputChars)
            {
                throw new TemplateRuntimeException($"the rendered prompt is longer than {MaxOutputChars} characters");
            }
        }

        return Flow.Normal;
    }

    private Flow Execute(Stmt stmt, Scope scope, StringBuilder output)
    {
        try
        {
            return ExecuteCore(stmt, scope, output);
        }
        catch (TemplateRuntimeException e) when (e is not TemplateRaisedException && e is not PositionedException)
        {
            throw Positioned(stmt.Offset, e);
        }
    }

    private PositionedException Positioned(int offset, TemplateRuntimeException e)
    {
        var where = source.Error(offset, "");
        return new PositionedException($"{source.Name}:{where.Line}:{where.Column}: {e.Message}");
    }

    private Flow ExecuteCore(Stmt stmt, Scope scope, StringBuilder output)
    {
        switch (stmt)
        {
            case TextStmt text:
                output.Append(text.Text);
                return Flow.Normal;
            case OutputStmt o:
                output.Append(Py.Str(Evaluate(o.Value, scope)));
                return Flow.Normal;
            case IfStmt i:
                foreach (var (condition, branch) in i.Branches)
                {
                    if (Py.Truthy(Evaluate(condition, scope)))
                    {
                        return Execute(branch, scope, output);
                    }
                }

                return Execute(i.Else, scope, output);
            case ForStmt f:
                return ExecuteFor(f, scope, output);
            case SetStmt s:
                Assign(s.Target, Evaluate(s.Value, scope), scope);
                return Flow.Normal;
            case SetBlockStmt sb:
                var captured = new StringBuilder();
                Execute(sb.Body, scope, captured);
                Assign(sb.Target, captured.ToString(), scope);
                return Flow.Normal;
            case MacroStmt m:
                scope.Set(m.Name, new Macro(m, scope));
                return Flow.Normal;
            case BreakStmt:
                return Flow.Break;
            case ContinueStmt:
                return Flow.Continue;
            default:
                throw new InvalidOperationException($"unknown statement {stmt.GetType().Name}");
        }
    }

    private Flow ExecuteFor(ForStmt f, Scope scope, StringBuilder output)
    {
        var items = Py.Iterate(Evaluate(f.Iterable, scope));
        if (f.Filter is not null)
        {
            items = items.Where(item =>
            {
                var filterScope = new Scope(scope);
                Assign(f.Target, item, filterScope);
                return Py.Truthy(Evaluate(f.Filter, filterScope));
            }).ToList();
        }

        if (items.Count == 0)
        {
            return Execute(f.Else, scope, output);
        }

        var loop = new LoopContext(items);
        for (int i = 0; i < items.Count; i++)
        {
            loop.Index0 = i;
            var iteration = new Scope(scope);
            iteration.Set("loop", loop);
            Assign(f.Target, items[i], iteration);
            if (Execute(f.Body, iteration, output) == Flow.Break)
            {
                break;
            }
        }

        return Flow.Normal;
    }

    private static void Assign(Target target, object? value, Scope scope)
    {
        switch (target)
        {
            case NameTarget n:
                scope.Set(n.Name, value);
                break;
            case TupleTarget t:
                var items = value is List<object?> l ? l : Py.Iterate(value);
                if (items.Count != t.Names.Count)
                {
                    throw new TemplateRuntimeException($"cannot unpack {items.Count} values into {t.Names.Count} names ({string.Join(", ", t.Names)})");
                }

                for (int i = 0; i < items.Count; i++)
                {
                    scope.Set(t.Names[i], items[i]);
                }

                break;
            case AttributeTarget a:
                if (!scope.TryGet(a.Namespace, out var ns) || ns is not Namespace space)
                {
                    throw new TemplateRuntimeException($"cannot assign attribute on non-namespace object '{a.Namespace}'");
                }

                space.Attributes[a.Attribute] = value;
                break;
        }
    }

    public object? Evaluate(Expr expr, Scope scope)
    {
        try
        {
            return EvaluateCore(expr, scope);
        }
        catch (TemplateRuntimeException e) when (e is not TemplateRaisedException && e is not PositionedException)
        {
            throw Positioned(expr.Offset, e);
        }
    }

    private object? EvaluateCore(Expr expr, Scope scope)
    {
        switch (expr)
        {
            case LiteralExpr l:
                return l.Value;
            case NameExpr n:
                return scope.TryGet(n.Name, out var value) ? value : new Undefined($"'{n.Name}'");
            case ListExpr l:
                var items = l.Items.Select(i => Evaluate(i, scope));
                return l.IsTuple ? new PyTuple(items) : items.ToList();
            case DictExpr d:
                var dict = new OrderedDictionary<string, object?>(StringComparer.Ordinal);
                foreach (var (k, v) in d.Items)
                {
                    var key = Evaluate(k, scope) as string ?? throw new TemplateRuntimeException("dict keys must be strings");
                    dict[key] = Evaluate(v, scope);
                }

                return dict;
            case AttributeExpr a:
                return JinjaAccess.Attribute(Evaluate(a.Target, scope), a.Name, $"'{Describe(a.Target)}.{a.Name}'");
            case ItemExpr i:
                var index = Evaluate(i.Index, scope);
                return JinjaAccess.Item(Evaluate(i.Target, scope), index, $"'{Describe(i.Target)}[{Py.Repr(index)}]'");
            case SliceExpr s:
                return JinjaAccess.Slice(Evaluate(s.Target, scope), Optional(s.Start, scope), Optional(s.Stop, scope), Optional(s.Step, scope));
            case CallExpr c:
                return Call(Evaluate(c.Callee, scope), c, scope);
            case FilterExpr f:
                return JinjaFilters.Apply(f.Name, Evaluate(f.Value, scope), Arguments(f.Name, f.Args, f.Kwargs, scope));
            case TestExpr t:
                return JinjaPredicates.Test(t.Name, Evaluate(t.Value, scope), t.Args.Select(a => Evaluate(a, scope)).ToList()) != t.Negated;
            case BinaryExpr b:
                return JinjaOperators.Binary(b.Op, Evaluate(b.Left, scope), Evaluate(b.Right, scope));
            case UnaryExpr u:
                return JinjaOperators.Unary(u.Op, Evaluate(u.Operand, scope));
            case CompareExpr c:
                var left = Evaluate(c.First, scope);
                foreach (var (op, rightExpr) in c.Rest)
                {
                    var right = Evaluate(rightExpr, scope);
                    if (!JinjaOperators.Compare(op, left, right))
                    {
                        return false;
                    }

                    left = right;
                }

                return true;
            case ConditionalExpr c:
                return Py.Truthy(Evaluate(c.Condition, scope)) ? Evaluate(c.Then, scope)
                    : c.Else is null ? new Undefined("the else branch of an inline if") : Evaluate(c.Else, scope);
            case AndExpr a:
                var l1 = Evaluate(a.Left, scope);
                return Py.Truthy(l1) ? Evaluate(a.Right, scope) : l1;
            case OrExpr o:
                var l2 = Evaluate(o.Left, scope);
                return Py.Truthy(l2) ? l2 : Evaluate(o.Right, scope);
            case NotExpr n:
                return !Py.Truthy(Evaluate(n.Operand, scope));
            default:
                throw new InvalidOperationException($"unknown expression {expr.GetType().Name}");
        }
    }

    private object? Optional(Expr? expr, Scope scope) => expr is null ? null : Evaluate(expr, scope);

    private Arguments Arguments(string callee, IReadOnlyList<Expr> args, IReadOnlyList<(string Name, Expr Value)> kwargs, Scope scope) =>
        new(callee, args.Select(a => Evaluate(a, scope)).ToList(), kwargs.ToDictionary(k => k.Name, k => Evaluate(k.Value, scope), StringComparer.Ordinal));

    private object? Call(object? callee, CallExpr call, Scope scope)
    {
        var name = call.Callee is NameExpr n ? n.Name : call.Callee is AttributeExpr a ? a.Name : "function";
        var args = Arguments(name, call.Args, call.Kwargs, scope);
        switch (callee)
        {
            case BuiltinFunction f:
                return f.Invoke(args.Positional, args.Keywords);
            case BoundMethod m:
                return JinjaMethods.Call(m, args);
            case Macro macro:
                return CallMacro(macro, args, args.Count);
            case Undefined u:
                throw u.Error();
            default:
                throw new TemplateRuntimeException($"'{Py.TypeName(callee)}' object is not callable");
        }
    }

    private string CallMacro(Macro macro, Arguments args, int positionalCount)
    {
        var parameters = macro.Definition.Parameters;
        if (positionalCount > parameters.Count)
        {
            throw new TemplateRuntimeException($"macro '{macro.Definition.Name}' takes {parameters.Count} arguments, got {positionalCount}");
        }

        if (++_depth > MaxDepth)
        {
            throw new TemplateRuntimeException($"macros nested deeper than {MaxDepth} calls");
        }

        try
        {
            var frame = new Scope(macro.Closure);
            for (int i = 0; i < parameters.Count; i++)
            {
                var (name, fallback) = parameters[i];
                frame.Set(name, args.Has(i, name) ? args.Get(i, name) : fallback is null ? new Undefined($"'{name}'") : Evaluate(fallback, macro.Closure));
            }

            var output = new StringBuilder();
            Execute(macro.Definition.Body, frame, output);
            return output.ToString();
        }
        finally
        {
            _depth--;
        }
    }

    private static string Describe(Expr expr) => expr switch
    {
        NameExpr n => n.Name,
        AttributeExpr a => $"{Describe(a.Target)}.{a.Name}",
        ItemExpr { Index: LiteralExpr l } i => $"{Describe(i.Target)}[{Py.Repr(l.Value)}]",
        ItemExpr i => $"{Describe(i.Target)}[...]",
        _ => "value",
    };

    /// <summary>A runtime error already prefixed with the template and position of the innermost expression.</summary>
    private sealed class PositionedException(string message) : TemplateRuntimeException(message);
}
