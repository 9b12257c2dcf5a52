using System.Collections;
using System.Text.Json;

namespace Nestor.Serving.Api.ChatTemplates;

/// <summary>
/// A Jinja2 template in the subset Hugging Face chat templates use, parsed once (errors are
/// <see cref="TemplateSyntaxException"/>s naming the template and position) and rendered as transformers'
/// <c>apply_chat_template</c> does: <c>trim_blocks</c> and <c>lstrip_blocks</c> on, undefined values render empty,
/// <c>raise_exception</c>, <c>strftime_now</c> and a <c>tojson</c> without HTML escaping. Rendering fails only with
/// <see cref="TemplateRuntimeException"/> (<see cref="TemplateRaisedException"/> for the template's own errors).
/// </summary>
public sealed class JinjaTemplate
{
    private readonly JinjaSource _source;
    private readonly IReadOnlyList<Stmt> _body;

    private JinjaTemplate(JinjaSource source, IReadOnlyList<Stmt> body)
    {
        _source = source;
        _body = body;
    }

    public string Name => _source.Name;

    /// <summary>Parses <paramref name="text"/>; <paramref name="name"/> names it in error messages (a file name).</summary>
    public static JinjaTemplate Parse(string text, string name)
    {
        var source = new JinjaSource(name, text);
        var tokens = new JinjaLexer(source).Tokenize();
        return new JinjaTemplate(source, new JinjaParser(source, tokens).ParseTemplate());
    }

    /// <summary>
    /// Renders with <paramref name="variables"/>: strings, numbers, booleans, null, <see cref="JsonElement"/>s, lists and
    /// string-keyed dictionaries of those.
    /// </summary>
    public string Render(IReadOnlyDictionary<string, object?> variables, Func<DateTime>? now = null)
    {
        var globals = new Scope(null);
        foreach (var (name, function) in JinjaGlobals.Create(now ?? (() => DateTime.Now)))
        {
            globals.Set(name, function);
        }

        foreach (var (name, value) in variables)
        {
            globals.Set(name, ToValue(value));
        }

        return new JinjaEvaluator(_source).Render(_body, new Scope(globals));
    }

    internal static object? ToValue(object? value) => value switch
    {
        null or string or bool or long or double => value,
        int i => (long)i,
        float f => (double)f,
        JsonElement e => FromJson(e),
        IDictionary dict => ToDict(dict),
        IEnumerable items => items.Cast<object?>().Select(ToValue).ToList(),
        _ => throw new ArgumentException($"a template variable cannot be a {value.GetType().Name}", nameof(value)),
    };

    private static OrderedDictionary<string, object?> ToDict(IDictionary dict)
    {
        var result = new OrderedDictionary<string, object?>(StringComparer.Ordinal);
        foreach (DictionaryEntry entry in dict)
        {
            result[entry.Key as string ?? throw new ArgumentException("template dictionaries have string keys")] = ToValue(entry.Value);
        }

        return result;
    }

    private static object? FromJson(JsonElement e)
    {
        switch (e.ValueKind)
        {
            case JsonValueKind.Object:
                var dict = new OrderedDictionary<string, object?>(StringComparer.Ordinal);
                foreach (var p in e.EnumerateObject())
                {
                    dict[p.Name] = FromJson(p.Value);
                }

                return dict;
            case JsonValueKind.Array:
                return e.EnumerateArray().Select(FromJson).ToList();
            case JsonValueKind.String:
                return e.GetString();
            case JsonValueKind.Number:
                return e.TryGetInt64(out var l) ? l : (object)e.GetDouble();
            case JsonValueKind.True:
                return true;
            case JsonValueKind.False:
                return false;
            default:
                return null;
        }
    }
}
