using System.Text.Json;
using Nestor.Serving.Api.ChatTemplates;

namespace Nestor.Serving.Tests.ChatTemplates;

/// <summary>
/// Constructs that published chat templates combine (reverse scans with a namespace, tool schemas as JSON, unpacking
/// dict items with a loop filter, content given as parts), in templates written for these tests.
/// </summary>
public sealed class TemplateStyleTests
{
    private static readonly JsonElement Conversation = JsonDocument.Parse("""
        [
          {"role": "system", "content": "Be terse."},
          {"role": "user", "content": "What is 2+2?"},
          {"role": "assistant", "content": "<think>easy</think>\n4", "tool_calls": [{"type": "function", "function": {"name": "add", "arguments": {"a": 2, "b": 2}}}]},
          {"role": "tool", "content": "4"},
          {"role": "user", "content": [{"type": "text", "text": "And 3+3?"}]}
        ]
        """).RootElement.Clone();

    private static readonly JsonElement Tools = JsonDocument.Parse("""
        [{"type": "function", "function": {"name": "add", "description": "Adds.", "parameters": {"type": "object", "return": "int"}}}]
        """).RootElement.Clone();

    private static string Render(string template, bool addGenerationPrompt = true) =>
        JinjaTemplate.Parse(template, "style.jinja").Render(new Dictionary<string, object?>
        {
            ["messages"] = Conversation,
            ["tools"] = Tools,
            ["add_generation_prompt"] = addGenerationPrompt,
            ["bos_token"] = "<s>",
            ["eos_token"] = "</s>",
        });

    [Fact]
    public void AReverseScanWithANamespaceFindsTheLastUserQuery()
    {
        const string template = """
            {%- set ns = namespace(last_query=messages|length - 1) %}
            {%- for message in messages[::-1] %}
                {%- set index = (messages|length - 1) - loop.index0 %}
                {%- if message.role == "user" and message.content is string and not(message.content.startswith('<tool')) %}
                    {%- set ns.last_query = index %}
                    {%- break %}
                {%- endif %}
            {%- endfor %}
            {{- ns.last_query }}
            """;
        Assert.Equal("1", Render(template));
    }

    [Fact]
    public void ToolSchemasAndCallsRenderAsJson()
    {
        const string template = """
            {%- if tools %}
                {{- '<tools>' }}
                {%- for tool in tools %}
                    {{- "\n" }}{{- tool | tojson }}
                {%- endfor %}
                {{- "\n</tools>\n" }}
            {%- endif %}
            {%- for message in messages if message.tool_calls is defined %}
                {%- for tool_call in message.tool_calls %}
                    {%- if tool_call.function is defined %}{%- set tool_call = tool_call.function %}{%- endif %}
                    {{- '{"name": "' + tool_call.name + '", "arguments": ' + tool_call.arguments | tojson + '}' }}
                {%- endfor %}
            {%- endfor %}
            """;
        Assert.Equal("<tools>\n{\"type\": \"function\", \"function\": {\"name\": \"add\", \"description\": \"Adds.\", \"parameters\": {\"type\": \"object\", \"return\": \"int\"}}}\n</tools>\n"
            + "{\"name\": \"add\", \"arguments\": {\"a\": 2, \"b\": 2}}", Render(template));
    }

    [Fact]
    public void DictItemsUnpackWithALoopFilterAndRolesAlternate()
    {
        const string template = """
            {%- for key, val in tools[0].function.parameters.items() if key != "return" %}
                {{- '"' + key + '": ' + (val if val is string else val | tojson) }}{% if not loop.last %}, {% endif %}
            {%- endfor %}
            {%- for message in messages[1:] | rejectattr("role", "equalto", "tool") | selectattr("tool_calls", "undefined") %}
                {{- "|" ~ loop.index0 ~ ":" ~ message.role }}
            {%- endfor %}
            """;
        Assert.Equal("\"type\": object|0:user|1:user", Render(template));
    }

    [Fact]
    public void ContentSplitsAfterThinkingAndDefaultsWhenMissing()
    {
        const string template = """
            {%- for message in messages %}
                {%- set content = message.content | default('', true) %}
                {%- if message.role == 'assistant' and '</think>' in content %}
                    {%- set content = content.split('</think>')[-1].lstrip('\n') %}
                {%- endif %}
                {{- message.role[0] | upper ~ ':' ~ content ~ ';' }}
            {%- endfor %}
            {%- if add_generation_prompt %}{{ 'A:' }}{% endif %}
            """;
        // Content given as parts reaches a template unchanged here (the server joins text parts first): Python's str() of the list.
        Assert.Equal("S:Be terse.;U:What is 2+2?;A:4;T:4;U:[{'type': 'text', 'text': 'And 3+3?'}];A:", Render(template));
        Assert.EndsWith("'And 3+3?'}];", Render(template, addGenerationPrompt: false), StringComparison.Ordinal);
    }
}
