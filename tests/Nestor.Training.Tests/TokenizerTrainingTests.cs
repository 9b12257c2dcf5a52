using Nestor.Checkpoint;
using Nestor.Kernels;
using Nestor.Testing;
using Nestor.Tokenization;
using Nestor.Training.Config;
using Nestor.Training.Data;

namespace Nestor.Training.Tests;

/// <summary>
/// The trainer with a checkpoint's Hugging Face tokenizer.json (the gpt2-style fixture written by `tokenizers`):
/// examples are packed in its ids, a vocabulary that does not cover it is a bad configuration (exit 2), and the
/// elastic checkpoint carries the parent's tokenizer files.
/// </summary>
public sealed class TokenizerTrainingTests
{
    private static readonly string Nestor = Path.Combine(AppContext.BaseDirectory, "nestor");
    private static readonly string FixtureTokenizer = RepoPaths.Combine("tests", "Fixtures", "hf-tokenizers", "gpt2-style", "tokenizer.json");
    private const string TokenizerConfig = """{"bos_token": "<|begin_of_text|>", "eos_token": "<|end_of_text|>", "pad_token": "<|pad|>"}""";

    [Fact]
    public void UserDataIsPackedInTheCheckpointsTokenizerIds()
    {
        using var scratch = new ScratchDirectory("train-tok");
        var folder = WriteTokenizerFolder(scratch.Combine("parent"), withTokenizerConfig: true);
        var data = scratch.Combine("data.jsonl");
        File.WriteAllText(data, """{"prompt": "Hello, world!", "completion": " 🙂 done"}""" + "\n");
        var task = JsonlDataset.Load(data, JsonlFormat.PromptCompletion, seed: 1);
        var tokenizer = TrainingTokenizer.For(folder, Config(vocabSize: 600, withIds: false));
        Assert.Equal((0, 1, 2), (tokenizer.Bos, tokenizer.Eos, tokenizer.Pad));

        var reference = HfTokenizer.Load(FixtureTokenizer);
        var prompt = reference.Encode("Hello, world!");
        var completion = reference.Encode(" 🙂 done");
        long[] example = [0, .. prompt, .. completion, 1];
        using var batch = TrainingBatch.Pack(task, tokenizer, new Random(1), ExampleLength.Mixed, batchSize: 1, sequenceLength: (2 * example.Length) - 1);
        var inputs = batch.Inputs.data<long>().ToArray();
        var mask = batch.LossMask.data<float>().ToArray();
        Assert.Equal([.. example, .. example[..^1]], inputs);
        // Targets are inputs shifted by one: the completion's ids and the end token are scored, nothing else.
        var scored = Enumerable.Range(0, example.Length - 1).Select(i => i >= prompt.Count).ToArray();
        Assert.Equal(scored.Select(s => s ? 1f : 0f), mask[..(example.Length - 1)]);
        Assert.Equal(" 🙂 done", tokenizer.Decode(completion.Append(1)));
    }

    [Fact]
    public void ATokenizerTheModelCannotUseIsABadConfiguration()
    {
        using var scratch = new ScratchDirectory("train-tok");
        var folder = WriteTokenizerFolder(scratch.Combine("parent"), withTokenizerConfig: false);
        var small = Assert.Throws<ConfigException>(() => TrainingTokenizer.For(folder, Config(vocabSize: 300, withIds: true)));
        Assert.Contains("vocab_size 300 does not cover the tokenizer", small.Message, StringComparison.Ordinal);

        var noBos = Assert.Throws<ConfigException>(() => TrainingTokenizer.For(folder, Config(vocabSize: 600, withIds: false)));
        Assert.Contains("the trainer needs a begin token: set bos_token_id in config.json or bos_token in tokenizer_config.json", noBos.Message, StringComparison.Ordinal);

        File.WriteAllText(Path.Combine(folder, "tokenizer.json"), File.ReadAllText(FixtureTokenizer).Replace("\"type\": \"BPE\"", "\"type\": \"Unigram\"", StringComparison.Ordinal));
        var unigram = Assert.Throws<ConfigException>(() => TrainingTokenizer.For(folder, Config(vocabSize: 600, withIds: true)));
        Assert.Contains("unsupported model.type: Unigram", unigram.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ElastifyTrainsInTheParentsTokenizerAndTheElasticCheckpointCarriesIt()
    {
        using var scratch = new ScratchDirectory("train-tok-e2e");
        WriteTeacher(scratch.Combine("teacher"), vocabSize: 600);
        var config = scratch.Combine("config.yaml");
        File.WriteAllText(config, TinyTeacher.ConfigYaml(stage1Steps: 2, stage2Steps: 2, checkpointInterval: 10));
        var output = scratch.Combine("run", "checkpoints", "tiny-elastic");
        var result = await ProcessRunner.RunAsync(Nestor, Args(scratch, config, output), timeout: TimeSpan.FromMinutes(8));
        Assert.True(result.ExitCode == 0, result.StandardError);

        var published = Assert.Single(Directory.GetDirectories(output, "sha256-*"));
        foreach (var name in new[] { "tokenizer.json", "tokenizer_config.json" })
        {
            Assert.Equal(File.ReadAllBytes(scratch.Combine("teacher", name)), File.ReadAllBytes(Path.Combine(published, name)));
        }

        Assert.Contains("tokenizer.json", File.ReadAllText(Path.Combine(published, ContentDigest.ChecksumsFileName)), StringComparison.Ordinal);
        Assert.True(File.Exists(Path.Combine(published, EvalRecord.FileName)));
    }

    [Fact]
    public async Task ElastifyExitsTwoWhenTheVocabularyDoesNotCoverTheTokenizer()
    {
        using var scratch = new ScratchDirectory("train-tok-e2e");
        WriteTeacher(scratch.Combine("teacher"), vocabSize: 300);
        var config = scratch.Combine("config.yaml");
        File.WriteAllText(config, TinyTeacher.ConfigYaml());
        var result = await ProcessRunner.RunAsync(Nestor, Args(scratch, config, scratch.Combine("run", "out")), timeout: TimeSpan.FromMinutes(8));
        Assert.Equal(2, result.ExitCode);
        Assert.Contains("vocab_size 300 does not cover the tokenizer", result.StandardError, StringComparison.Ordinal);
    }

    private static string[] Args(ScratchDirectory scratch, string config, string output) =>
        ["elastify", "--config", config, "--output", output, "--work-dir", scratch.Combine("run", "work"), "--volume-root", scratch.Path,
            "--termination-log", scratch.Combine("run", "termination-log"), "--threads", "1"];

    private static NemotronHConfig Config(int vocabSize, bool withIds) => NemotronHConfig.Create(
        hybridOverridePattern: "M-*M-", hiddenSize: 32, vocabSize: vocabSize, numAttentionHeads: 4, numKeyValueHeads: 2, headDim: 8,
        intermediateSize: 64, mambaNumHeads: 8, mambaHeadDim: 8, nGroups: 2, ssmStateSize: 8, chunkSize: 16,
        bosTokenId: withIds ? 0 : null, eosTokenId: withIds ? 1 : null, padTokenId: withIds ? 2 : null);

    private static string WriteTokenizerFolder(string folder, bool withTokenizerConfig)
    {
        Directory.CreateDirectory(folder);
        File.Copy(FixtureTokenizer, Path.Combine(folder, "tokenizer.json"));
        if (withTokenizerConfig)
        {
            File.WriteAllText(Path.Combine(folder, "tokenizer_config.json"), TokenizerConfig);
        }

        return folder;
    }

    /// <summary>A random tiny teacher whose special ids come from tokenizer_config.json (config.json has none).</summary>
    private static void WriteTeacher(string folder, int vocabSize)
    {
        using (var model = NemotronHForCausalLM.Create(Config(vocabSize, withIds: false), seed: 3))
        {
            model.SaveCheckpoint(folder);
        }

        WriteTokenizerFolder(folder, withTokenizerConfig: true);
        ContentDigest.Write(folder);
    }
}
