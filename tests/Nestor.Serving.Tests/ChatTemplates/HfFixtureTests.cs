using System.Text.Json;
using Nestor.Serving.Api.ChatTemplates;
using Nestor.Testing;

namespace Nestor.Serving.Tests.ChatTemplates;

/// <summary>
/// Every case of tests/Fixtures/chat-templates/expected.json, which transformers' apply_chat_template rendered:
/// Nestor's renderer gives the same prompt byte for byte, or the same raise_exception message.
/// </summary>
public sealed class HfFixtureTests
{
    private static readonly string Folder = RepoPaths.Combine("tests", "Fixtures", "chat-templates");

    public static TheoryData<string, string, bool> Cases()
    {
        var data = new TheoryData<string, string, bool>();
        foreach (var c in Expected().EnumerateArray())
        {
            data.Add(c.GetProperty("template").GetString()!, c.GetProperty("conversation").GetString()!, c.GetProperty("add_generation_prompt").GetBoolean());
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void RendersAsTransformersDoes(string template, string conversation, bool addGenerationPrompt)
    {
        var c = Expected().EnumerateArray().Single(c => c.GetProperty("template").GetString() == template
            && c.GetProperty("conversation").GetString() == conversation && c.GetProperty("add_generation_prompt").GetBoolean() == addGenerationPrompt);
        var parsed = JinjaTemplate.Parse(File.ReadAllText(Path.Combine(Folder, template)), template);
        var variables = new Dictionary<string, object?>
        {
            ["messages"] = c.GetProperty("messages"),
            ["add_generation_prompt"] = addGenerationPrompt,
            ["bos_token"] = c.GetProperty("bos_token").GetString(),
            ["eos_token"] = c.GetProperty("eos_token").GetString(),
            ["tools"] = null,
            ["documents"] = null,
        };
        if (c.TryGetProperty("error", out var error))
        {
            var raised = Assert.Throws<TemplateRaisedException>(() => parsed.Render(variables));
            Assert.Equal(error.GetString(), raised.Message);
        }
        else
        {
            Assert.Equal(c.GetProperty("rendered").GetString(), parsed.Render(variables));
        }
    }

    [Fact]
    public void TheFixturesHoldEveryTemplateConversationAndFlag()
    {
        var cases = Expected().EnumerateArray().ToList();
        Assert.Equal(30, cases.Count);
        Assert.Equal(3, cases.Select(c => c.GetProperty("template").GetString()).Distinct().Count());
        Assert.Contains(cases, c => c.TryGetProperty("error", out _));
    }

    private static JsonElement Expected()
    {
        using var document = JsonDocument.Parse(File.ReadAllText(Path.Combine(Folder, "expected.json")));
        return document.RootElement.GetProperty("cases").Clone();
    }
}
