using System.Text.Json;
using Nestor.Serving.Api.ChatTemplates;
using Nestor.Testing;

namespace Nestor.Serving.Tests.ChatTemplates;

/// <summary>
/// tests/Fixtures/chat-templates/jinja-cases.json: template snippets rendered by Jinja2 itself in the environment
/// transformers sets up (trim_blocks, lstrip_blocks, loop controls, its tojson, raise_exception). Nestor's renderer
/// gives the same text, or fails where Jinja failed: at load for syntax errors, else while rendering (with the same
/// message for raise_exception).
/// </summary>
public sealed class JinjaReferenceTests
{
    private static readonly string Path = RepoPaths.Combine("tests", "Fixtures", "chat-templates", "jinja-cases.json");

    public static TheoryData<int> Cases()
    {
        var data = new TheoryData<int>();
        for (int i = 0; i < Load().GetProperty("cases").GetArrayLength(); i++)
        {
            data.Add(i);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void RendersAsJinjaDoes(int index)
    {
        var root = Load();
        var c = root.GetProperty("cases")[index];
        var text = c.GetProperty("template").GetString()!;
        if (c.TryGetProperty("error_type", out var type) && type.GetString() == "TemplateSyntaxError")
        {
            Assert.Throws<TemplateSyntaxException>(() => JinjaTemplate.Parse(text, $"case{index}.jinja"));
            return;
        }

        var template = JinjaTemplate.Parse(text, $"case{index}.jinja");
        var variables = root.GetProperty("variables").EnumerateObject().ToDictionary(p => p.Name, p => (object?)p.Value);
        if (c.TryGetProperty("error", out var error))
        {
            var thrown = Assert.ThrowsAny<TemplateRuntimeException>(() => template.Render(variables));
            if (c.GetProperty("error_type").GetString() == "TemplateError")
            {
                Assert.Equal(error.GetString(), thrown.Message);
            }
        }
        else
        {
            Assert.Equal(c.GetProperty("rendered").GetString(), template.Render(variables));
        }
    }

    private static JsonElement Load()
    {
        using var document = JsonDocument.Parse(File.ReadAllText(Path));
        return document.RootElement.Clone();
    }
}
