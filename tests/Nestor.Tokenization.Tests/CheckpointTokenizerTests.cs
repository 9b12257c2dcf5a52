using System.Text.Json.Nodes;
using Nestor.Checkpoint;
using Nestor.Testing;

namespace Nestor.Tokenization.Tests;

/// <summary>Which tokenizer a checkpoint folder gets, and its special ids (docs/checkpoint-format.md, "Tokenizer").</summary>
public sealed class CheckpointTokenizerTests
{
    [Fact]
    public void AFolderWithoutTokenizerJsonGetsTheByteTokenizerWithTheConfigsIds()
    {
        using var folder = new ScratchDirectory("tok-tests");
        var tokenizer = CheckpointTokenizer.Load(folder.Path, Config(vocab: 259, bos: 256, eos: 257, pad: 258));
        Assert.IsType<ByteTokenizer>(tokenizer);
        Assert.Equal((256, 257, 258), (tokenizer.BosTokenId, tokenizer.EosTokenId, tokenizer.PadTokenId));
    }

    [Fact]
    public void ConfigIdsComeFirstThenTokenizerConfigNames()
    {
        using var folder = WithTokenizer("gpt2-style");
        File.WriteAllText(folder.Combine("tokenizer_config.json"), """
            {"bos_token": {"content": "<|begin_of_text|>", "special": true}, "eos_token": "<|end_of_text|>", "pad_token": "<|pad|>", "chat_template": "{{ x }}"}
            """);
        var named = CheckpointTokenizer.Load(folder.Path, Config(vocab: 600));
        Assert.IsType<HfTokenizer>(named);
        Assert.Equal((0, 1, 2), (named.BosTokenId, named.EosTokenId, named.PadTokenId));

        var fromConfig = CheckpointTokenizer.Load(folder.Path, Config(vocab: 600, eos: 2));
        Assert.Equal((0, 2, 2), (fromConfig.BosTokenId, fromConfig.EosTokenId, fromConfig.PadTokenId));
        Assert.Equal([0L, .. fromConfig.Encode("a=1")], fromConfig.EncodePrompt("a=1"));
    }

    [Fact]
    public void WithoutTokenizerConfigOnlyTheConfigsIdsAreKnown()
    {
        using var folder = WithTokenizer("llama3-style");
        var tokenizer = CheckpointTokenizer.Load(folder.Path, Config(vocab: 640, eos: 1));
        Assert.Equal((null, 1, null), (tokenizer.BosTokenId, tokenizer.EosTokenId, tokenizer.PadTokenId));
        Assert.Equal(600, tokenizer.IdCount);
    }

    [Fact]
    public void AVocabularyTooSmallForTheTokenizerIsRefused()
    {
        using var folder = WithTokenizer("gpt2-style");
        var error = Assert.Throws<TokenizerFormatException>(() => CheckpointTokenizer.Load(folder.Path, Config(vocab: 512)));
        Assert.Contains("vocab_size 512 does not cover the tokenizer", error.Message, StringComparison.Ordinal);
        Assert.Contains("reach 599", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ASpecialTokenNamedInTokenizerConfigMustExist()
    {
        using var folder = WithTokenizer("gpt2-style");
        File.WriteAllText(folder.Combine("tokenizer_config.json"), """{"eos_token": "</s>"}""");
        var error = Assert.Throws<TokenizerFormatException>(() => CheckpointTokenizer.Load(folder.Path, Config(vocab: 600)));
        Assert.Contains("tokenizer_config.json: eos_token '</s>' is not a token of", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void IgnoreMergesTakesAWholePieceFromTheVocabulary()
    {
        // With ignore_merges (Llama 3's tokenizer.json sets it) a pre-tokenized piece found whole in the vocabulary is
        // one token even when no merge leads to it; without it the merges decide.
        using var folder = WithTokenizer("llama3-style");
        var path = folder.Combine("tokenizer.json");
        var json = JsonNode.Parse(File.ReadAllText(path))!;
        json["model"]!["vocab"]!["zqj"] = 600;
        File.WriteAllText(path, json.ToJsonString());
        var merged = HfTokenizer.Load(path);
        Assert.True(merged.Encode("zqj").Count > 1);

        json["model"]!["ignore_merges"] = true;
        File.WriteAllText(path, json.ToJsonString());
        var whole = HfTokenizer.Load(path);
        Assert.Equal([600L], whole.Encode("zqj"));
        Assert.Equal([.. merged.Encode("a b"), 1, 600], whole.Encode("a b<|end_of_text|>zqj"));
        for (int row = 0; row < Fixtures.Count("llama3-style"); row++)
        {
            // The fixture's words are all reached by merges, so the ids stay the same.
            var (text, ids, _) = Fixtures.Row("llama3-style", row);
            Assert.Equal(ids, whole.Encode(text));
        }
    }

    private static ScratchDirectory WithTokenizer(string fixture)
    {
        var folder = new ScratchDirectory("tok-tests");
        File.Copy(Fixtures.PathOf(fixture), folder.Combine("tokenizer.json"));
        return folder;
    }

    private static NemotronHConfig Config(int vocab, int? bos = null, int? eos = null, int? pad = null) => NemotronHConfig.Create(
        hybridOverridePattern: "M*-", hiddenSize: 16, vocabSize: vocab, numAttentionHeads: 2, numKeyValueHeads: 1, headDim: 8,
        intermediateSize: 32, mambaNumHeads: 4, mambaHeadDim: 4, nGroups: 1, ssmStateSize: 4, bosTokenId: bos, eosTokenId: eos, padTokenId: pad);
}
