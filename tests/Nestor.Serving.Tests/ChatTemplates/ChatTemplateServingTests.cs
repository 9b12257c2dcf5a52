using System.Net;
using System.Text;
using System.Text.Json;
using Nestor.Serving.Hosting;
using Nestor.Testing;

namespace Nestor.Serving.Tests.ChatTemplates;

/// <summary>
/// /v1/chat/completions over real HTTP renders the checkpoint's own chat template: the prompt's token count in
/// <c>usage</c> is that of the prompt transformers rendered for the same messages (expected.json), tokenised by the
/// byte-level tokenizer with the template's special-token strings as their ids.
/// </summary>
public sealed class ChatTemplateServingTests(ChatTemplateCheckpoints checkpoints) : IClassFixture<ChatTemplateCheckpoints>
{
    public static TheoryData<string, string> Conversations() => new()
    {
        { "headers.jinja", "user-only" },
        { "headers.jinja", "system-user" },
        { "headers.jinja", "multi-turn" },
        { "headers.jinja", "assistant-first-user" },
        { "blocks.jinja", "user-only" },
        { "blocks.jinja", "multi-turn" },
        { "blocks.jinja", "tool-role" },
    };

    [Theory]
    [MemberData(nameof(Conversations))]
    public async Task PromptTokensAreThoseOfTheTemplateTransformersRendered(string template, string conversation)
    {
        var expected = Case(template, conversation);
        var server = template == "headers.jinja" ? checkpoints.Headers : checkpoints.Blocks;
        var (response, body) = await server.PostAsync("/v1/chat/completions", new
        {
            model = "tiny-elastic",
            messages = expected.GetProperty("messages"),
            max_tokens = 2,
            ignore_eos = true,
            seed = 3,
        });
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("chat.completion", body.GetProperty("object").GetString());
        var rendered = expected.GetProperty("rendered").GetString()!;
        Assert.Equal(ByteTokenCount(rendered), body.GetProperty("usage").GetProperty("prompt_tokens").GetInt32());
    }

    [Fact]
    public async Task TheTemplatesRaiseExceptionIsA400WithItsMessage()
    {
        var expected = Case("headers.jinja", "tool-role");
        var (response, body) = await checkpoints.Headers.PostAsync("/v1/chat/completions", new { model = "tiny-elastic", messages = expected.GetProperty("messages"), max_tokens = 2 });
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var error = body.GetProperty("error");
        Assert.Equal(expected.GetProperty("error").GetString(), error.GetProperty("message").GetString());
        Assert.Equal("invalid_request_error", error.GetProperty("type").GetString());
        Assert.Equal("messages", error.GetProperty("param").GetString());
    }

    [Fact]
    public async Task TextPartsReachTheTemplateAsOneContentString()
    {
        var (response, body) = await checkpoints.Headers.PostAsync("/v1/chat/completions", new
        {
            model = "tiny-elastic",
            messages = new[] { new { role = "user", content = new[] { new { type = "text", text = "a=3;" }, new { type = "text", text = "b=a*4;b?" } } } },
            max_tokens = 1,
            stream = false,
        });
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var rendered = Case("headers.jinja", "user-only").GetProperty("rendered").GetString()!.Replace("a=17;b=a+5;c=b-9;c?", "a=3;b=a*4;b?", StringComparison.Ordinal);
        Assert.Equal(ByteTokenCount(rendered), body.GetProperty("usage").GetProperty("prompt_tokens").GetInt32());
    }

    [Fact]
    public async Task ATemplateOutsideTheSubsetFailsTheStartNamingFileAndPosition()
    {
        var folder = checkpoints.Write("unsupported", new { bos_token = ChatTemplateCheckpoints.Bos }, "{% for m in messages %}\n  {{ m.content | wordwrap(5) }}\n{% endfor %}\n");
        var error = Assert.Throws<ServeConfigurationException>(() => ServingHost.Create(new ServeOptions { Checkpoint = folder, Port = 0 }));
        Assert.True(error.Message.Contains("chat_template.jinja:2:18: unknown filter 'wordwrap'", StringComparison.Ordinal), error.Message);

        var nestor = Path.Combine(AppContext.BaseDirectory, "nestor.dll");
        var result = await ProcessRunner.RunAsync("dotnet", [nestor, "serve", "--checkpoint", folder, "--port", "0"], timeout: TimeSpan.FromMinutes(1));
        Assert.Equal(2, result.ExitCode);
        Assert.Contains("chat_template.jinja:2:18: unknown filter 'wordwrap'", result.StandardError, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("{\"chat_template\": [{\"name\": \"rag\", \"template\": \"x\"}]}", "chat_template has no template named 'default' (it has rag)")]
    [InlineData("{\"chat_template\": 42}", "chat_template must be a string or a list")]
    [InlineData("{\"chat_template\": ", "tokenizer_config.json: not valid JSON")]
    [InlineData("{\"chat_template\": \"{{ messages[0\"}", "tokenizer_config.json:1:1")]
    public void ABadTokenizerConfigTemplateFailsTheStart(string config, string reason)
    {
        var folder = checkpoints.Write("bad-config-" + Guid.NewGuid().ToString("N")[..8], new { });
        File.WriteAllText(Path.Combine(folder, "tokenizer_config.json"), config);
        var error = Assert.Throws<ServeConfigurationException>(() => ServingHost.Create(new ServeOptions { Checkpoint = folder, Port = 0 }));
        Assert.Contains(reason, error.Message, StringComparison.Ordinal);
    }

    /// <summary>
    /// The byte-level tokenizer's count for a checkpoint template's prompt: BOS (the template's own when it starts with
    /// bos_token, else the one the tokenizer adds), one token per UTF-8 byte, one per eos_token string.
    /// </summary>
    private static int ByteTokenCount(string rendered)
    {
        var text = rendered.StartsWith(ChatTemplateCheckpoints.Bos, StringComparison.Ordinal) ? rendered[ChatTemplateCheckpoints.Bos.Length..] : rendered;
        var pieces = text.Split(ChatTemplateCheckpoints.Eos);
        return 1 + pieces.Sum(Encoding.UTF8.GetByteCount) + (pieces.Length - 1);
    }

    private static JsonElement Case(string template, string conversation)
    {
        using var document = JsonDocument.Parse(File.ReadAllText(Path.Combine(ChatTemplateCheckpoints.FixtureFolder, "expected.json")));
        return document.RootElement.GetProperty("cases").EnumerateArray().Single(c => c.GetProperty("template").GetString() == template
            && c.GetProperty("conversation").GetString() == conversation && c.GetProperty("add_generation_prompt").GetBoolean()).Clone();
    }
}
