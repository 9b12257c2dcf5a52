using System.Text.Json;
using Nestor.Checkpoint;
using Nestor.Testing;

namespace Nestor.Serving.Tests.ChatTemplates;

/// <summary>
/// Tiny random checkpoints that carry the fixture chat templates as Hugging Face saves them, each with a server:
/// <see cref="Headers"/> has headers.jinja as the <c>default</c> entry of tokenizer_config.json's template list (with
/// <c>bos_token</c> as an added-token object); <see cref="Blocks"/> has blocks.jinja as chat_template.jinja, which wins
/// over a tokenizer_config.json template that could not even be parsed.
/// </summary>
public sealed class ChatTemplateCheckpoints : IAsyncLifetime
{
    public const string Bos = "<|begin_of_text|>";
    public const string Eos = "<|end_of_text|>";

    public static readonly string FixtureFolder = RepoPaths.Combine("tests", "Fixtures", "chat-templates");

    private readonly ScratchDirectory _scratch = new("chat-template-tests");

    public TestServer Headers { get; private set; } = null!;

    public TestServer Blocks { get; private set; } = null!;

    public string Scratch => _scratch.Path;

    public async Task InitializeAsync()
    {
        var headers = Write("headers", new
        {
            chat_template = new object[]
            {
                new { name = "tool_use", template = "{{ 'not this one' }}" },
                new { name = "default", template = File.ReadAllText(Path.Combine(FixtureFolder, "headers.jinja")) },
            },
            bos_token = new { content = Bos, lstrip = false, normalized = false, rstrip = false, single_word = false, special = true },
            eos_token = Eos,
        });
        var blocks = Write("blocks", new { chat_template = "{% include 'never parsed' %}", bos_token = Bos, eos_token = Eos },
            File.ReadAllText(Path.Combine(FixtureFolder, "blocks.jinja")));
        Headers = await StartAsync(headers);
        Blocks = await StartAsync(blocks);
    }

    /// <summary>A tiny checkpoint folder with a tokenizer_config.json and optionally a chat_template.jinja, re-listed in checksums.sha256.</summary>
    public string Write(string name, object tokenizerConfig, string? jinja = null)
    {
        var folder = _scratch.Combine(name);
        TestModel.Write(folder);
        File.WriteAllText(Path.Combine(folder, "tokenizer_config.json"), JsonSerializer.Serialize(tokenizerConfig));
        if (jinja is not null)
        {
            File.WriteAllText(Path.Combine(folder, "chat_template.jinja"), jinja);
        }

        ContentDigest.Write(folder);
        return folder;
    }

    private static Task<TestServer> StartAsync(string folder) => TestServer.StartAsync(new ServeOptions
    {
        Checkpoint = folder,
        MaxBatch = 2,
        MaxPromptTokens = 512,
        MaxTokens = 8,
    });

    public async Task DisposeAsync()
    {
        await Headers.DisposeAsync();
        await Blocks.DisposeAsync();
        _scratch.Dispose();
    }
}
