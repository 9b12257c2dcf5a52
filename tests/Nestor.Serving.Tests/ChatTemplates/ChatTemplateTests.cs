using System.Text.Json;
using Nestor.Serving.Api;
using Nestor.Serving.Api.ChatTemplates;
using Nestor.Serving.Engine;

namespace Nestor.Serving.Tests.ChatTemplates;

/// <summary>The chat prompt layer: request-time template errors as 400s, and how a rendered prompt becomes tokens.</summary>
public sealed class ChatTemplateTests
{
    private static readonly ByteTokenizer Tokenizer = new(256, 257);

    private static readonly JsonElement Messages = JsonDocument.Parse("""[{"role": "user", "content": "hi"}]""").RootElement.Clone();

    private static ChatTemplate Template(string text, string bos = "<s>", string eos = "</s>") =>
        ChatTemplate.For(new CheckpointChatTemplate(JinjaTemplate.Parse(text, "t.jinja"), "t.jinja",
            new Dictionary<string, string> { ["bos_token"] = bos, ["eos_token"] = eos }));

    [Fact]
    public void ATemplateRuntimeErrorIsA400NamingThePosition()
    {
        var error = Assert.Throws<ApiError>(() => Template("{{ messages[0].content + 1 }}").Render(Messages));
        Assert.Equal((400, "messages"), (error.Status, error.Param));
        Assert.Contains("t.jinja:1:24: unsupported operand type(s) for +: 'str' and 'int'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void TheTemplateSeesTheSpecialTokensAndTheGenerationPrompt() =>
        Assert.Equal("<s>[user]hi</s>[assistant]", Template("{{ bos_token }}{% for m in messages %}[{{ m.role }}]{{ m.content }}{{ eos_token }}{% endfor %}{% if add_generation_prompt %}[assistant]{% endif %}").Render(Messages));

    [Fact]
    public void ATemplateThatEmitsBosGetsNoSecondOneAndSpecialStringsBecomeIds()
    {
        var template = Template("");
        Assert.Equal([256, (long)'a', 257, (long)'b'], template.Encode("<s>a</s>b", Tokenizer));
        Assert.Equal([256, (long)'a', 257, 257], template.Encode("a</s></s>", Tokenizer));
        Assert.Equal([256, (long)'x', 256], template.Encode("x<s>", Tokenizer)); // the tokenizer's BOS first, then the text's own
    }

    [Fact]
    public void TheBuiltInTemplateEncodesAsACompletionPrompt()
    {
        var prompt = ChatTemplate.Builtin.Render(Messages);
        Assert.Equal("<|user|>\nhi\n<|assistant|>\n", prompt);
        Assert.Equal(Tokenizer.EncodePrompt(prompt), ChatTemplate.Builtin.Encode(prompt, Tokenizer));
        Assert.Equal(256, ChatTemplate.Builtin.Encode(prompt, Tokenizer)[0]);
    }
}
