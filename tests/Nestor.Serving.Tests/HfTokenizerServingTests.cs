using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using Nestor.Checkpoint;
using Nestor.Kernels;
using Nestor.Serving.Hosting;
using Nestor.Testing;

namespace Nestor.Serving.Tests;

/// <summary>
/// A checkpoint carrying a Hugging Face tokenizer.json (the gpt2-style fixture written by `tokenizers`, vocabulary
/// 600) served over real HTTP: prompts are counted in that tokenizer's ids, output is its decoded text.
/// </summary>
public sealed class HfTokenizerServingTests : IAsyncLifetime
{
    private const string Model = "tiny-bpe";
    private static readonly string FixtureTokenizer = RepoPaths.Combine("tests", "Fixtures", "hf-tokenizers", "gpt2-style", "tokenizer.json");
    private readonly ScratchDirectory _scratch = new("serve-hf-tokenizer");
    private readonly HfTokenizer _reference = HfTokenizer.Load(FixtureTokenizer);
    private TestServer? _server;

    private TestServer Server => _server!;

    public async Task InitializeAsync()
    {
        var folder = WriteCheckpoint(_scratch.Combine("tiny-bpe"), vocabSize: 600, tokenizerJson: File.ReadAllText(FixtureTokenizer));
        _server = await TestServer.StartAsync(new ServeOptions { Checkpoint = folder, MaxBatch = 2, MaxPromptTokens = 128, MaxTokens = 16 });
    }

    public async Task DisposeAsync()
    {
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }

        _scratch.Dispose();
    }

    [Fact]
    public async Task UsageCountsThePromptInTheCheckpointsTokenizer()
    {
        const string prompt = "Hello, world! It's a test: don't panic, we'll see.";
        var (response, body) = await Server.PostAsync("/v1/completions", new { model = Model, prompt, max_tokens = 8, seed = 3, ignore_eos = true });
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var usage = body.GetProperty("usage");
        // BOS (id 0 from config.json) + the 37 ids Hugging Face gives this text (tests/Fixtures/hf-tokenizers/expected.json).
        Assert.Equal(37, _reference.Encode(prompt).Count);
        Assert.Equal(1 + 37, usage.GetProperty("prompt_tokens").GetInt32());
        Assert.Equal(8, usage.GetProperty("completion_tokens").GetInt32());
        var text = body.GetProperty("choices")[0].GetProperty("text").GetString()!;
        Assert.NotEqual("", text);
        // Byte-level vocabulary entries hold 'Ġ' for a space: decoded text never shows the alphabet's stand-ins.
        Assert.DoesNotContain('\u0120', text);
    }

    [Fact]
    public async Task SpecialTokensWrittenInThePromptAreOneTokenEach()
    {
        const string prompt = "<|begin_of_text|>special tokens<|end_of_text|> in text";
        var (_, body) = await Server.PostAsync("/v1/completions", new { model = Model, prompt, max_tokens = 1 });
        Assert.Equal(1 + 19, body.GetProperty("usage").GetProperty("prompt_tokens").GetInt32());
    }

    [Fact]
    public async Task ChatPromptsAreTheBuiltInTemplateInTheCheckpointsTokenizer()
    {
        var messages = new[] { new { role = "system", content = "be brief" }, new { role = "user", content = "hi 🙂" } };
        var (response, body) = await Server.PostAsync("/v1/chat/completions", new { model = Model, messages, max_tokens = 4, seed = 5, ignore_eos = true });
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var expected = 1 + _reference.Encode("<|system|>\nbe brief\n<|user|>\nhi 🙂\n<|assistant|>\n").Count;
        Assert.Equal(expected, body.GetProperty("usage").GetProperty("prompt_tokens").GetInt32());
    }

    [Fact]
    public async Task StreamedTextEqualsTheWholeText()
    {
        var request = new { model = Model, prompt = "emoji 🙂🚀 and symbols", max_tokens = 16, seed = 11, temperature = 1.0, ignore_eos = true };
        var (_, whole) = await Server.PostAsync("/v1/completions", request);
        using var message = new HttpRequestMessage(HttpMethod.Post, "/v1/completions")
        {
            Content = JsonContent.Create(new { request.model, request.prompt, request.max_tokens, request.seed, request.temperature, request.ignore_eos, stream = true }),
        };
        using var response = await Server.Client.SendAsync(message, HttpCompletionOption.ResponseHeadersRead);
        var (chunks, done) = await Sse.ReadAllAsync(response);
        Assert.True(done);
        var streamed = string.Concat(chunks[..^1].Select(c => c.GetProperty("choices")[0].GetProperty("text").GetString()));
        Assert.Equal(whole.GetProperty("choices")[0].GetProperty("text").GetString(), streamed);
        Assert.Equal(16, chunks[^1].GetProperty("usage").GetProperty("completion_tokens").GetInt32());
    }

    [Fact]
    public void AnUnsupportedTokenizerIsAConfigurationErrorNamingTheFile()
    {
        var json = JsonNode.Parse(File.ReadAllText(FixtureTokenizer))!;
        json["model"]!["type"] = "WordPiece";
        var folder = WriteCheckpoint(_scratch.Combine("wordpiece"), vocabSize: 600, tokenizerJson: json.ToJsonString());
        var error = Assert.Throws<ServeConfigurationException>(() => ServingHost.Create(new ServeOptions { Checkpoint = folder, Port = 0 }));
        Assert.Contains(Path.Combine(folder, "tokenizer.json") + ": unsupported model.type: WordPiece", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task NestorServeExitsTwoNamingTheUnsupportedField()
    {
        var json = JsonNode.Parse(File.ReadAllText(FixtureTokenizer))!;
        json["normalizer"] = JsonNode.Parse("""{"type": "NFKC"}""");
        var folder = WriteCheckpoint(_scratch.Combine("nfkc"), vocabSize: 600, tokenizerJson: json.ToJsonString());
        var nestor = Path.Combine(AppContext.BaseDirectory, "nestor.dll");
        var result = await ProcessRunner.RunAsync("dotnet", [nestor, "serve", "--checkpoint", folder, "--port", "0"], timeout: TimeSpan.FromMinutes(1));
        Assert.Equal(2, result.ExitCode);
        Assert.Contains("tokenizer.json: unsupported normalizer: NFKC", result.StandardError, StringComparison.Ordinal);
    }

    [Fact]
    public void AModelVocabularySmallerThanTheTokenizerIsAConfigurationError()
    {
        var folder = WriteCheckpoint(_scratch.Combine("small-vocab"), vocabSize: 300, tokenizerJson: File.ReadAllText(FixtureTokenizer));
        var error = Assert.Throws<ServeConfigurationException>(() => ServingHost.Create(new ServeOptions { Checkpoint = folder, Port = 0 }));
        Assert.Contains("vocab_size 300 does not cover the tokenizer", error.Message, StringComparison.Ordinal);
    }

    /// <summary>A random tiny elastic checkpoint (full and b50) with bos/eos/pad 0/1/2 as the fixture's added tokens, and tokenizer.json.</summary>
    private static string WriteCheckpoint(string folder, int vocabSize, string tokenizerJson)
    {
        var config = NemotronHConfig.Create(
            hybridOverridePattern: "M*-", hiddenSize: 32, vocabSize: vocabSize, numAttentionHeads: 2, numKeyValueHeads: 1,
            headDim: 16, intermediateSize: 64, mambaNumHeads: 4, mambaHeadDim: 16, nGroups: 1, ssmStateSize: 8,
            chunkSize: 16, bosTokenId: 0, eosTokenId: 1, padTokenId: 2);
        var manifest = ElasticManifest.Create(config, Model,
        [
            ElasticBudget.Full(config),
            ElasticBudget.Create(config, "b50", 16, 32, 2, 1, 2, [0, 1, 2]),
        ]);
        Directory.CreateDirectory(folder);
        using (var model = NemotronHForCausalLM.Create(config, manifest, seed: 7))
        {
            model.SaveCheckpoint(folder);
        }

        File.WriteAllText(Path.Combine(folder, "tokenizer.json"), tokenizerJson);
        ContentDigest.Write(folder);
        return folder;
    }
}
