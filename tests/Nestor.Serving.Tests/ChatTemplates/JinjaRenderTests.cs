using Nestor.Serving.Api.ChatTemplates;

namespace Nestor.Serving.Tests.ChatTemplates;

/// <summary>The Jinja subset beyond the fixtures, each case against what Jinja 3 (as transformers configures it) renders.</summary>
public sealed class JinjaRenderTests
{
    private static string Render(string template, object? messages = null, Func<DateTime>? now = null) =>
        JinjaTemplate.Parse(template, "test.jinja").Render(new Dictionary<string, object?>
        {
            ["messages"] = messages ?? new List<object?>
            {
                new Dictionary<string, object?> { ["role"] = "system", ["content"] = " sys " },
                new Dictionary<string, object?> { ["role"] = "user", ["content"] = "hi" },
            },
            ["add_generation_prompt"] = true,
            ["bos_token"] = "<s>",
        }, now);

    [Theory]
    [InlineData("a  {%- if true -%}  b  {%- endif -%}  c", "abc")]
    [InlineData("a {{- 'b' -}} c", "abc")]
    [InlineData("  {% if true %}\nx\n  {% endif %}\ny", "x\ny")]
    [InlineData("a {% if true %}b{% endif %}", "a b")]
    [InlineData("{% if true +%}\nx{%+ endif %}", "\nx")]
    [InlineData("{# note #}\n  {# another #}\nz", "z")]
    [InlineData("x{{ 1 }}\ny\n", "x1\ny")]
    public void WhitespaceControlAsHuggingFaceConfiguresJinja(string template, string expected) => Assert.Equal(expected, Render(template));

    [Theory]
    [InlineData("{{ 7 // 2 }} {{ -7 // 2 }} {{ 7 % 3 }} {{ -7 % 3 }} {{ 7 / 2 }} {{ 4 / 2 }} {{ 2 ** 3 }} {{ 1 + 2 * 3 }}", "3 -4 1 2 3.5 2.0 8 7")]
    [InlineData("{{ 'a' ~ 1 ~ none ~ true }} {{ 'ab' * 2 }} {{ [1] + [2] }}", "a1NoneTrue abab [1, 2]")]
    [InlineData("{{ [1, 'a', none, true, 2.5] }} {{ {'k': 'v'} }} {{ none }} {{ nothing }}|", "[1, 'a', None, True, 2.5] {'k': 'v'} None |")]
    [InlineData("{{ 'yes' if 1 < 2 < 3 else 'no' }} {{ 'x' if false }}|{{ 1 == 1.0 }} {{ 'b' in 'abc' }} {{ 3 not in [1, 2] }}", "yes |True True True")]
    [InlineData("{{ 'hello'[1:] }} {{ 'hello'[::-1] }} {{ [1, 2, 3][-1] }} {{ [1, 2, 3][:2] }} {{ messages[1:] | length }}", "ello olleh 3 [1, 2] 1")]
    [InlineData("{{ messages[0].role }} {{ messages[0]['role'] }} {{ messages[0].content | trim }}|{{ messages.0.role }}", "system system sys|system")]
    [InlineData("{{ not none and 1 or 2 }} {{ none or 'x' }} {{ 0 and 1 }}", "1 x 0")]
    public void ExpressionsFollowPython(string template, string expected) => Assert.Equal(expected, Render(template));

    [Theory]
    [InlineData("{{ x is defined }} {{ messages[0].name is defined }} {{ messages[0].role is defined }} {{ x is undefined }}", "False False True True")]
    [InlineData("{{ none is none }} {{ 'a' is string }} {{ 1 is number }} {{ 1 is integer }} {{ 1.5 is float }} {{ {} is mapping }} {{ 3 is odd }} {{ 4 is divisibleby 2 }}", "True True True True True True True True")]
    [InlineData("{{ messages[0] is not none }} {{ 'a' is not string }} {{ 1 is eq 1 }} {{ 'u' is in ['u'] }}", "True False True True")]
    public void Tests(string template, string expected) => Assert.Equal(expected, Render(template));

    [Theory]
    [InlineData("{{ '  a b ' | trim }}|{{ 'xxaxx' | trim('x') }}|{{ 'abc' | upper }}|{{ 'ABC' | lower }}|{{ 'hELLO wORLD' | capitalize }}|{{ 'hello big-world' | title }}", "a b|a|ABC|abc|Hello world|Hello Big-World")]
    [InlineData("{{ x | default('d') }} {{ none | default('d') }} {{ '' | default('d', true) }} {{ x | d('e') }}", "d None d e")]
    [InlineData("{{ [1, 2, 3] | join(', ') }} {{ messages | map(attribute='role') | join('/') }} {{ messages | selectattr('role', 'equalto', 'user') | map(attribute='content') | first }}", "1, 2, 3 system/user hi")]
    [InlineData("{{ messages | rejectattr('role', 'eq', 'system') | list | length }} {{ [3, 1, 2] | sort }} {{ [1, 1, 2] | unique }} {{ [1, 2] | last }} {{ 'ab' | reverse }}", "1 [1, 2, 3] [1, 2] 2 ba")]
    [InlineData("{{ '42' | int + 1 }} {{ 'x' | int }} {{ '1.5' | float }} {{ 3 | string ~ '!' }} {{ 'a-b' | replace('-', '+') }} {{ -3 | abs }} {{ 2.567 | round(2) }}", "43 0 1.5 3! a+b 3 2.57")]
    [InlineData("{{ 'Größe 日本' | length }} {{ {'a': 1} | items | list }} {{ 'a\nb' | indent(2) }}", "8 [('a', 1)] a\n  b")]
    public void Filters(string template, string expected) => Assert.Equal(expected, Render(template));

    [Fact]
    public void ToJsonIsPythonsJsonDumpsWithoutAsciiOrHtmlEscaping()
    {
        Assert.Equal("{\"a\": [1, 2.5, null, true], \"b\": \"é\\\"<>&'\\n\"}", Render("{{ {'a': [1, 2.5, none, true], 'b': 'é\"<>&\\'\\n'} | tojson }}"));
        Assert.Equal("{\n  \"a\": [\n    1\n  ],\n  \"b\": {}\n}", Render("{{ {'a': [1], 'b': {}} | tojson(indent=2) }}"));
        Assert.Equal("{\"system\": \" sys \"}", Render("{{ {messages[0].role: messages[0].content} | tojson }}"));
    }

    [Theory]
    [InlineData("{% for m in messages %}{{ loop.index }}{{ loop.index0 }}{{ loop.first }}{{ loop.last }}{{ loop.length }}{{ loop.revindex }};{% endfor %}", "10TrueFalse22;21FalseTrue21;")]
    [InlineData("{% for m in messages if m.role != 'system' %}{{ loop.index }}:{{ m.content }}{% endfor %}", "1:hi")]
    [InlineData("{% for x in [] %}x{% else %}empty{% endfor %}", "empty")]
    [InlineData("{% for x in [1, 2, 3, 4] %}{% if x == 2 %}{% continue %}{% endif %}{% if x == 4 %}{% break %}{% endif %}{{ x }}{% endfor %}", "13")]
    [InlineData("{% for k, v in {'a': 1, 'b': 2}.items() %}{{ k }}={{ v }},{% endfor %}{% for k in {'c': 3} %}{{ k }}{% endfor %}", "a=1,b=2,c")]
    [InlineData("{% set x = 1 %}{% for i in [5, 6] %}{% set x = i %}{% endfor %}{{ x }}", "1")]
    [InlineData("{% set ns = namespace(n=0, seen=false) %}{% for m in messages %}{% set ns.n = ns.n + 1 %}{% endfor %}{{ ns.n }}{{ ns.seen }}", "2False")]
    [InlineData("{% set a, b = 1, 2 %}{{ a }}{{ b }}{% set t %}in {{ a }}{% endset %}[{{ t }}]", "12[in 1]")]
    [InlineData("{% macro tag(name, close=false) %}<{{ '/' if close }}{{ name }}>{% endmacro %}{{ tag('a') }}{{ tag('a', close=true) }}", "<a></a>")]
    [InlineData("{% if false %}a{% elif none %}b{% elif 1 %}c{% else %}d{% endif %}", "c")]
    [InlineData("{% generation %}kept{% endgeneration %} {{ range(3) | list }} {{ range(1, 7, 2) | join }}", "kept [0, 1, 2] 135")]
    [InlineData("{{ ' a b '.strip() }}|{{ 'a,b'.split(',') }}|{{ 'abc'.startswith(('x', 'a')) }}|{{ {'k': 1}.get('k') }}{{ {'k': 1}.get('z', 0) }}|{{ '-'.join(['a', 'b']) }}", "a b|['a', 'b']|True|10|a-b")]
    public void Statements(string template, string expected) => Assert.Equal(expected, Render(template));

    [Fact]
    public void StrftimeNowUsesTheClock() =>
        Assert.Equal("Today: 05 Mar 2026", Render("Today: {{ strftime_now('%d %b %Y') }}", now: () => new DateTime(2026, 3, 5, 10, 0, 0)));

    [Theory]
    [InlineData("{{ nothing.attr }}", "'nothing' is undefined")]
    [InlineData("{{ messages[5].role }}", "'messages[5]' is undefined")]
    [InlineData("{{ 'a' + 1 }}", "unsupported operand type(s) for +: 'str' and 'int'")]
    [InlineData("{% for x in 3 %}{% endfor %}", "'int' object is not iterable")]
    [InlineData("{% set x = 1 %}{% set x.y = 2 %}", "cannot assign attribute on non-namespace object 'x'")]
    public void RuntimeErrorsAreTemplateErrorsWithAPosition(string template, string message)
    {
        var error = Assert.ThrowsAny<TemplateRuntimeException>(() => Render(template));
        Assert.IsNotType<TemplateRaisedException>(error);
        Assert.StartsWith("test.jinja:1:", error.Message, StringComparison.Ordinal);
        Assert.EndsWith(message, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void RaiseExceptionCarriesTheTemplatesMessage() =>
        Assert.Equal("no tools here", Assert.Throws<TemplateRaisedException>(() => Render("{{ raise_exception('no tools ' ~ 'here') }}")).Message);

    [Theory]
    [InlineData("{% include 'other.jinja' %}", 1, 4, "unsupported tag 'include'")]
    [InlineData("a\n{{ x | shout }}", 2, 8, "unknown filter 'shout'")]
    [InlineData("{% if x is bright %}{% endif %}", 1, 12, "unknown test 'bright'")]
    [InlineData("{{ lipsum(2) }}", 1, 4, "unknown function 'lipsum'")]
    [InlineData("{{ messages.pop() }}", 1, 12, "unsupported method 'pop()'")]
    [InlineData("x\n  {% for m in messages %}\n{{ m }}", 2, 3, "this tag is never closed")]
    [InlineData("{% endif %}", 1, 4, "unexpected '{% endif %}'")]
    [InlineData("{{ 'open }}", 1, 4, "unterminated string literal")]
    [InlineData("{{ a + }}", 1, 8, "expected an expression")]
    [InlineData("{% raw %}{{ x }}{% endraw %}", 1, 4, "unsupported tag 'raw'")]
    [InlineData("{% break %}", 1, 4, "'break' outside a for loop")]
    [InlineData("a {{ x", 1, 3, "unterminated tag")]
    [InlineData("{{ f(*args) }}", 1, 6, "*args and **kwargs are not supported")]
    public void UnsupportedOrBrokenTemplatesFailAtLoadNamingThePosition(string template, int line, int column, string reason)
    {
        var error = Assert.Throws<TemplateSyntaxException>(() => JinjaTemplate.Parse(template, "chat_template.jinja"));
        Assert.Equal(("chat_template.jinja", line, column), (error.Template, error.Line, error.Column));
        Assert.Contains(reason, error.Reason, StringComparison.Ordinal);
        Assert.StartsWith($"chat_template.jinja:{line}:{column}: ", error.Message, StringComparison.Ordinal);
    }
}
