using System.Text.Json.Nodes;
using Nestor.Testing;

namespace Nestor.Tokenization.Tests;

/// <summary>Tokenizers Nestor does not support are refused, naming the file and the field, never misread.</summary>
public sealed class RefusalTests
{
    public static readonly TheoryData<string, string, string> Unsupported = new()
    {
        // JSON path to replace, its new value, the field the error must name.
        { "model", """{"type":"WordPiece","unk_token":"[UNK]","continuing_subword_prefix":"##","max_input_chars_per_word":100,"vocab":{"a":0}}""", "model.type: WordPiece" },
        { "model", """{"type":"Unigram","unk_id":0,"vocab":[["a",0.0]]}""", "model.type: Unigram" },
        { "normalizer", """{"type":"NFC"}""", "normalizer: NFC" },
        { "pre_tokenizer", """{"type":"Whitespace"}""", "pre_tokenizer.type: Whitespace" },
        { "pre_tokenizer", """{"type":"Metaspace","replacement":"▁","prepend_scheme":"always","split":true}""", "pre_tokenizer.type: Metaspace" },
        { "pre_tokenizer", "null", "pre_tokenizer: (none)" },
        { "pre_tokenizer", """{"type":"ByteLevel","add_prefix_space":true,"trim_offsets":true,"use_regex":true}""", "pre_tokenizer.add_prefix_space: true" },
        { "pre_tokenizer", """{"type":"Sequence","pretokenizers":[{"type":"Digits","individual_digits":true},{"type":"ByteLevel","use_regex":false}]}""", "pre_tokenizer.pretokenizers: [Digits, ByteLevel]" },
        { "pre_tokenizer", """{"type":"Sequence","pretokenizers":[{"type":"Split","pattern":{"Regex":"\\s+"},"behavior":"Removed","invert":false},{"type":"ByteLevel","use_regex":false}]}""", "pre_tokenizer.pretokenizers[0].behavior: Removed" },
        { "decoder", """{"type":"WordPiece","prefix":"##","cleanup":true}""", "decoder: WordPiece" },
        { "decoder", "null", "decoder: (none)" },
        { "post_processor", """{"type":"BertProcessing","sep":["[SEP]",1],"cls":["[CLS]",0]}""", "post_processor: BertProcessing" },
        { "model.byte_fallback", "true", "model.byte_fallback: true" },
        { "model.dropout", "0.1", "model.dropout: 0.1" },
        { "model.continuing_subword_prefix", "\"##\"", "model.continuing_subword_prefix: ##" },
        { "added_tokens.0.lstrip", "true", "added_tokens[0].lstrip: true" },
    };

    [Theory]
    [MemberData(nameof(Unsupported))]
    public void RefusesWithTheFileAndTheField(string at, string value, string field)
    {
        using var folder = new ScratchDirectory("tok-tests");
        var path = folder.Combine("tokenizer.json");
        var json = JsonNode.Parse(File.ReadAllText(Fixtures.PathOf("gpt2-style")))!;
        Set(json, at, JsonNode.Parse(value));
        File.WriteAllText(path, json.ToJsonString());

        var error = Assert.Throws<TokenizerFormatException>(() => HfTokenizer.Load(path));
        Assert.StartsWith(path + ": ", error.Message, StringComparison.Ordinal);
        Assert.Contains("unsupported " + field, error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("{ not json", "not valid JSON")]
    [InlineData("[1, 2]", "expected a JSON object")]
    [InlineData("""{"model":{"type":"BPE","merges":[]}}""", "model.vocab is missing")]
    [InlineData("""{"model":{"type":"BPE","vocab":{"a":0,"b":1},"merges":["a b c"]}}""", "model.merges[0] 'a b c' is not two tokens")]
    [InlineData("""{"model":{"type":"BPE","vocab":{"a":-3}}}""", "is not a non-negative integer id")]
    public void RefusesMalformedFiles(string text, string problem)
    {
        using var folder = new ScratchDirectory("tok-tests");
        var path = folder.Combine("tokenizer.json");
        File.WriteAllText(path, text);
        var error = Assert.Throws<TokenizerFormatException>(() => HfTokenizer.Load(path));
        Assert.StartsWith(path + ": ", error.Message, StringComparison.Ordinal);
        Assert.Contains(problem, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ReadsMergesWrittenAsStringsAsWellAsPairs()
    {
        // tokenizers before 0.20 wrote merges as "a b"; the fixtures have the newer ["a", "b"] form.
        using var folder = new ScratchDirectory("tok-tests");
        var path = folder.Combine("tokenizer.json");
        var json = JsonNode.Parse(File.ReadAllText(Fixtures.PathOf("llama3-style")))!;
        var merges = json["model"]!["merges"]!.AsArray();
        Assert.All(merges, m => Assert.IsType<JsonArray>(m));
        json["model"]!["merges"] = new JsonArray([.. merges.Select(m => (JsonNode)JsonValue.Create($"{m![0]} {m[1]}"))]);
        File.WriteAllText(path, json.ToJsonString());

        var fromStrings = HfTokenizer.Load(path);
        for (int row = 0; row < Fixtures.Count("llama3-style"); row++)
        {
            var (text, ids, _) = Fixtures.Row("llama3-style", row);
            Assert.Equal(ids, fromStrings.Encode(text));
        }
    }

    private static void Set(JsonNode root, string at, JsonNode? value)
    {
        var parts = at.Split('.');
        var node = root;
        foreach (var part in parts[..^1])
        {
            node = int.TryParse(part, out int i) ? node[i]! : node[part]!;
        }

        node[parts[^1]] = value;
    }
}
