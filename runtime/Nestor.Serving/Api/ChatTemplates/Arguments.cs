namespace Nestor.Serving.Api.ChatTemplates;

/// <summary>The arguments of a filter, test, function or method call, looked up by position or keyword.</summary>
internal sealed class Arguments(string callee, IReadOnlyList<object?> positional, IReadOnlyDictionary<string, object?> keywords)
{
    public int Count => positional.Count;

    public IReadOnlyList<object?> Positional => positional;

    public IReadOnlyDictionary<string, object?> Keywords => keywords;

    public object? Get(int index, string name, object? fallback = null)
    {
        if (index >= 0 && index < positional.Count)
        {
            return positional[index];
        }

        return keywords.TryGetValue(name, out var value) ? value : fallback;
    }

    public bool Has(int index, string name) => (index >= 0 && index < positional.Count) || keywords.ContainsKey(name);

    public string String(int index, string name, string fallback)
    {
        var value = Get(index, name, fallback);
        return value as string ?? throw new TemplateRuntimeException($"{callee}(): '{name}' must be a string, got {Py.TypeName(value)}");
    }

    public IReadOnlyList<object?> From(int index) => positional.Skip(index).ToList();

    public void AtMost(int count)
    {
        if (positional.Count > count)
        {
            throw new TemplateRuntimeException($"{callee}() takes at most {count} positional arguments, got {positional.Count}");
        }
    }
}
