using Nestor.Checkpoint.Safetensors;
using Nestor.Testing;

namespace Nestor.Checkpoint.Tests;

public sealed class CheckpointFolderTests : IDisposable
{
    private readonly ScratchDirectory _dir = new("nestor-checkpoint");

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void OpensAnElasticCheckpointAndAPlainOne()
    {
        var config = TinyCheckpoints.Config();
        var elastic = TinyCheckpoints.Write(_dir.Combine("elastic"), config, TinyCheckpoints.Manifest(config));
        using (var ckpt = CheckpointDirectory.Open(elastic))
        {
            Assert.True(ckpt.IsElastic);
            Assert.Equal(["full", "b75", "b50"], ckpt.Manifest.Budgets.Select(b => b.Name));
            Assert.Null(ckpt.Digest);
        }

        var plain = TinyCheckpoints.Write(_dir.Combine("tiny-plain"), config, null);
        using var plainCkpt = CheckpointDirectory.Open(plain);
        Assert.False(plainCkpt.IsElastic);
        Assert.Equal("full", Assert.Single(plainCkpt.Manifest.Budgets).Name);
        Assert.Equal("tiny-plain", plainCkpt.Manifest.Name);
    }

    [Fact]
    public void WeightsThatDoNotMatchTheConfigNameTheTensor()
    {
        var config = TinyCheckpoints.Config();
        var folder = TinyCheckpoints.Write(_dir.Combine("c"), config, null);

        // A config with a wider FFN than the stored tensors.
        config.With(("intermediate_size", 64)).Save(Path.Combine(folder, NemotronHConfig.FileName));
        var error = Assert.Throws<CheckpointFormatException>(() => CheckpointDirectory.Open(folder));
        Assert.Contains("tensor 'backbone.layers.1.mixer.up_proj.weight' has shape [48, 32], config.json implies [64, 32]", error.Message, StringComparison.Ordinal);

        config.With(("torch_dtype", "bfloat16")).Save(Path.Combine(folder, NemotronHConfig.FileName));
        error = Assert.Throws<CheckpointFormatException>(() => CheckpointDirectory.Open(folder));
        Assert.Contains("tensor 'backbone.embeddings.weight' is F32, config.json torch_dtype bfloat16 implies BF16", error.Message, StringComparison.Ordinal);

        // One layer fewer in the config: the weights hold tensors the config does not know.
        config.With(("hybrid_override_pattern", "M-*M-M*"), ("num_hidden_layers", 7)).Save(Path.Combine(folder, NemotronHConfig.FileName));
        error = Assert.Throws<CheckpointFormatException>(() => CheckpointDirectory.Open(folder));
        Assert.Contains("tensor 'backbone.layers.7.mixer.down_proj.weight' is not part of a NemotronH model", error.Message, StringComparison.Ordinal);

        // One layer more: a tensor is missing.
        config.With(("hybrid_override_pattern", "M-*M-M*-M"), ("num_hidden_layers", 9)).Save(Path.Combine(folder, NemotronHConfig.FileName));
        error = Assert.Throws<CheckpointFormatException>(() => CheckpointDirectory.Open(folder));
        Assert.EndsWith("model.safetensors: tensor 'backbone.layers.8.norm.weight' is missing", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void SlicedBudgetIsAPlainCheckpointHoldingExactlyTheKeptValues()
    {
        var config = TinyCheckpoints.Config("bfloat16");
        var manifest = TinyCheckpoints.Manifest(config);
        var source = TinyCheckpoints.Write(_dir.Combine("src"), config, manifest, maxShardBytes: 6000);
        using var ckpt = CheckpointDirectory.Open(source);
        var output = _dir.Combine("b50");
        CheckpointSlicer.WriteBudget(ckpt, "b50", output);

        Assert.False(File.Exists(Path.Combine(output, ElasticManifest.FileName)));
        using var sliced = CheckpointDirectory.Open(output);
        Assert.False(sliced.IsElastic);
        Assert.Equal(manifest.Get("b50").Params, sliced.Manifest.Default.Params);
        Assert.Equal("M*M-*", sliced.Config.HybridOverridePattern);
        Assert.Equal(16, sliced.Config.HiddenSize);

        // out_proj of sliced layer 2 = source layer 3, rows [0,16), columns of heads 0,1 and 4,5 (head dim 4).
        var full = ckpt.Weights.ReadBytes("backbone.layers.3.mixer.out_proj.weight"); // [32, 32] bf16
        var expected = new List<byte>();
        for (int row = 0; row < 16; row++)
        {
            foreach (var col in new[] { 0, 1, 2, 3, 4, 5, 6, 7, 16, 17, 18, 19, 20, 21, 22, 23 })
            {
                expected.AddRange(full.AsSpan(((row * 32) + col) * 2, 2).ToArray());
            }
        }

        Assert.Equal([.. expected], sliced.Weights.ReadBytes("backbone.layers.2.mixer.out_proj.weight"));
    }

    [Fact]
    public void SlicedBudgetCarriesTheTokenizerFiles()
    {
        var config = TinyCheckpoints.Config();
        var source = TinyCheckpoints.Write(_dir.Combine("src-tok"), config, TinyCheckpoints.Manifest(config));
        File.WriteAllText(Path.Combine(source, "tokenizer.json"), """{"model": {"type": "BPE", "vocab": {}, "merges": []}}""");
        File.WriteAllText(Path.Combine(source, "tokenizer_config.json"), """{"eos_token": "</s>"}""");
        File.WriteAllText(Path.Combine(source, "chat_template.jinja"), "{% for m in messages %}{{ m.content }}{% endfor %}");
        using var ckpt = CheckpointDirectory.Open(source);
        var output = _dir.Combine("b50-tok");
        CheckpointSlicer.WriteBudget(ckpt, "b50", output);

        Assert.Equal(CheckpointDirectory.TokenizerFiles, ["tokenizer.json", "tokenizer_config.json", "chat_template.jinja"]);
        foreach (var name in CheckpointDirectory.TokenizerFiles)
        {
            Assert.Equal(File.ReadAllText(Path.Combine(source, name)), File.ReadAllText(Path.Combine(output, name)));
        }
    }

    [Fact]
    public void PublishingIsAtomicAndIdempotent()
    {
        var layout = new VolumeLayout(_dir.Combine("volume"));
        var config = TinyCheckpoints.Config();
        var first = TinyCheckpoints.Write(CheckpointPublisher.CreateStaging(layout.ModelFolder("tiny")), config, TinyCheckpoints.Manifest(config));
        Assert.StartsWith(".staging-", Path.GetFileName(first), StringComparison.Ordinal);
        var published = CheckpointPublisher.Publish(first);
        Assert.False(published.AlreadyExisted);
        Assert.False(Directory.Exists(first));
        Assert.Equal(layout.CheckpointFolder("tiny", published.Digest), published.Path);
        Assert.Matches("^sha256:[0-9a-f]{64}$", published.Digest);

        // The same content again: same digest, nothing new, staging removed.
        var second = TinyCheckpoints.Write(CheckpointPublisher.CreateStaging(layout.ModelFolder("tiny")), config, TinyCheckpoints.Manifest(config));
        var again = CheckpointPublisher.Publish(second);
        Assert.True(again.AlreadyExisted);
        Assert.Equal(published.Digest, again.Digest);
        Assert.False(Directory.Exists(second));
        Assert.Single(Directory.GetDirectories(layout.ModelFolder("tiny")));

        using var ckpt = CheckpointDirectory.Open(published.Path, verifyChecksums: true);
        Assert.Equal(published.Digest, ckpt.Digest);
    }

    [Fact]
    public async Task ChecksumsAreInSha256sumFormatAndDetectChanges()
    {
        var config = TinyCheckpoints.Config();
        var folder = TinyCheckpoints.Write(_dir.Combine("c"), config, TinyCheckpoints.Manifest(config), maxShardBytes: 8192);
        Directory.CreateDirectory(Path.Combine(folder, "extra"));
        File.WriteAllText(Path.Combine(folder, "extra", "notes.txt"), "hello");
        File.WriteAllText(Path.Combine(folder, ProgressRecord.FileName), "{}");
        var digest = ContentDigest.Write(folder);
        var lines = File.ReadAllLines(Path.Combine(folder, ContentDigest.ChecksumsFileName));
        Assert.Equal(lines.Select(l => l[66..]).Order(StringComparer.Ordinal), lines.Select(l => l[66..]));
        Assert.Contains(lines, l => l.EndsWith("  extra/notes.txt", StringComparison.Ordinal));
        Assert.DoesNotContain(lines, l => l.EndsWith(ProgressRecord.FileName, StringComparison.Ordinal));

        // Standard tools agree.
        var check = await ProcessRunner.RunAsync("sha256sum", ["-c", "--quiet", ContentDigest.ChecksumsFileName], folder);
        Assert.True(check.ExitCode == 0, check.Combined);

        Assert.Equal(digest, ContentDigest.Verify(folder));
        File.AppendAllText(Path.Combine(folder, "extra", "notes.txt"), "!");
        var error = Assert.Throws<CheckpointFormatException>(() => ContentDigest.Verify(folder));
        Assert.Contains("file 'extra/notes.txt' has a different SHA-256", error.Message, StringComparison.Ordinal);
        File.Delete(Path.Combine(folder, "extra", "notes.txt"));
        error = Assert.Throws<CheckpointFormatException>(() => ContentDigest.Verify(folder));
        Assert.Contains("file 'extra/notes.txt' is missing", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AtomicFileReplacesContentAndLeavesNoTemporaryFile()
    {
        var path = _dir.Combine("sub", "progress.json");
        AtomicFile.WriteAllText(path, "old");
        AtomicFile.WriteAllText(path, "new");
        Assert.Equal("new", File.ReadAllText(path));
        Assert.Equal(["progress.json"], Directory.GetFiles(_dir.Combine("sub")).Select(Path.GetFileName));
    }

    [Fact]
    public void ProgressAndEvalRecordsRoundTripAndCheckTheirSchema()
    {
        var progress = new ProgressRecord
        {
            Phase = RunPhase.Succeeded,
            Stage = 2,
            Step = 600,
            TotalSteps = 600,
            Tokens = 491520,
            Loss = new Dictionary<string, double> { ["full"] = 1.21, ["b50"] = 1.87 },
            UpdatedAt = new DateTimeOffset(2026, 11, 28, 20, 15, 0, TimeSpan.Zero),
            Checkpoint = new CheckpointReference("checkpoints/tiny/sha256-ab", "sha256:ab"),
        };
        var path = _dir.Combine("run", ProgressRecord.FileName);
        progress.Save(path);
        var text = File.ReadAllText(path);
        Assert.Contains("\"phase\": \"Succeeded\"", text, StringComparison.Ordinal);
        Assert.Contains("\"total_steps\": 600", text, StringComparison.Ordinal);
        Assert.Contains("\"b50\": 1.87", text, StringComparison.Ordinal);
        var back = ProgressRecord.Load(path);
        Assert.Equal(progress.Checkpoint, back.Checkpoint);
        Assert.Equal(1.87, back.Loss["b50"]);

        var error = Assert.Throws<CheckpointFormatException>(() => ProgressRecord.Parse(text.Replace("\"schema_version\": 1", "\"schema_version\": 3", StringComparison.Ordinal), path));
        Assert.Contains("'schema_version' is 3", error.Message, StringComparison.Ordinal);
        error = Assert.Throws<CheckpointFormatException>(() => ProgressRecord.Parse("{\"phase\": \"Pending\"}", path));
        Assert.Contains("schema_version", error.Message, StringComparison.Ordinal);
        error = Assert.Throws<CheckpointFormatException>(() => ProgressRecord.Parse("{\"schema_version\": 1, \"phase\": \"Dancing\"}", path));
        Assert.Contains("$.phase", error.Message, StringComparison.Ordinal);

        var eval = new EvalRecord
        {
            Task = "arith-chains",
            Split = "test",
            Examples = 400,
            Budgets = new Dictionary<string, BudgetEvaluation> { ["full"] = new(6012928, 0.91, 1.18) },
        };
        Assert.Equal(0.91, EvalRecord.Parse(eval.ToJsonString()).Budgets["full"].Accuracy);
    }

    [Fact]
    public void VolumeLayoutPathsFollowTheFormat()
    {
        var layout = new VolumeLayout("/weights");
        Assert.Equal("/weights/checkpoints/tiny/sha256-abc", layout.CheckpointFolder("tiny", "sha256:abc"));
        Assert.Equal("/weights/runs/default.run-1/progress.json", layout.ProgressFile("default", "run-1"));
        Assert.Equal("/weights/runs/default.run-1/state/step-00000120", layout.StateFolder("default", "run-1", 120));
        Assert.Equal("checkpoints/tiny/sha256-abc", layout.Relative("/weights/checkpoints/tiny/sha256-abc"));
        Assert.Throws<ArgumentException>(() => layout.ModelFolder("../etc"));
    }
}
