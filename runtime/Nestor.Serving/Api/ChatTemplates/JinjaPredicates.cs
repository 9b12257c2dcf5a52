namespace Nestor.Serving.Api.ChatTemplates;

/// <summary>The tests of <c>x is name</c> (and of <c>select</c>/<c>selectattr</c>).</summary>
internal static class JinjaPredicates
{
    public static readonly HashSet<string> Names =
    [
        "defined", "undefined", "none", "string", "number", "integer", "float", "boolean", "true", "false", "mapping",
        "iterable", "sequence", "callable", "even", "odd", "divisibleby", "eq", "equalto", "==", "ne", "!=", "lt", "<", "gt",
        ">", "le", "<=", "ge", ">=", "in", "lower", "upper", "sameas",
    ];

    public static bool Test(string name, object? value, IReadOnlyList<object?> args)
    {
        object? Arg() => args.Count > 0 ? args[0] : throw new TemplateRuntimeException($"the test '{name}' needs an argument");
        return name switch
        {
            "defined" => value is not Undefined,
            "undefined" => value is Undefined,
            "none" => value is null,
            "string" => value is string,
            "number" => value is long or double or bool,
            "integer" => value is long,
            "float" => value is double,
            "boolean" => value is bool,
            "true" => value is true,
            "false" => value is false,
            "mapping" => value is OrderedDictionary<string, object?>,
            "iterable" => value is string or List<object?> or OrderedDictionary<string, object?> or Undefined,
            "sequence" => value is string or List<object?> or OrderedDictionary<string, object?>,
            "callable" => value is Macro or BuiltinFunction or BoundMethod,
            "even" => Py.ToLong(value) % 2 == 0,
            "odd" => Py.ToLong(value) % 2 != 0,
            "divisibleby" => Py.ToLong(value) % Py.ToLong(Arg()) == 0,
            "eq" or "equalto" or "==" => Py.Eq(value, Arg()),
            "ne" or "!=" => !Py.Eq(value, Arg()),
            "lt" or "<" => Py.Compare(value, Arg()) < 0,
            "gt" or ">" => Py.Compare(value, Arg()) > 0,
            "le" or "<=" => Py.Compare(value, Arg()) <= 0,
            "ge" or ">=" => Py.Compare(value, Arg()) >= 0,
            "in" => Py.Contains(Arg(), value),
            "lower" => Py.Str(value) == Py.Str(value).ToLowerInvariant(),
            "upper" => Py.Str(value) == Py.Str(value).ToUpperInvariant(),
            "sameas" => ReferenceEquals(value, Arg()) || (value is null or bool && Py.Eq(value, Arg()) && Arg() is null or bool),
            _ => throw new TemplateRuntimeException($"unknown test '{name}'"),
        };
    }
}
