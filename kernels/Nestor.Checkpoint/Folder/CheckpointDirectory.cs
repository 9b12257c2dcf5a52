using Nestor.Checkpoint.Safetensors;

namespace Nestor.Checkpoint;

/// <summary>
/// An opened, validated checkpoint folder: the config, the budgets (elastic.json, or one budget <c>full</c> for a
/// plain checkpoint), the weights (memory-mapped; every tensor the config implies is present with its shape and the
/// config's dtype, and nothing else), and the digest recorded by <c>checksums.sha256</c> when there is one.
/// </summary>
public sealed class CheckpointDirectory : IDisposable
{
    private CheckpointDirectory(string path, NemotronHConfig config, ElasticManifest manifest, bool isElastic, TensorStore weights, string? digest)
    {
        Path = path;
        Config = config;
        Manifest = manifest;
        IsElastic = isElastic;
        Weights = weights;
        Digest = digest;
    }

    public string Path { get; }

    public NemotronHConfig Config { get; }

    /// <summary>The budgets; for a plain checkpoint, one budget named <c>full</c>.</summary>
    public ElasticManifest Manifest { get; }

    /// <summary>True when the folder has an elastic.json.</summary>
    public bool IsElastic { get; }

    public TensorStore Weights { get; }

    /// <summary><c>sha256:&lt;hex&gt;</c> of checksums.sha256, or null for a folder without one (not yet published).</summary>
    public string? Digest { get; }

    /// <summary>The tokenizer files a checkpoint folder may carry; every checkpoint derived from it (sliced, elastified) carries them too.</summary>
    public static readonly IReadOnlyList<string> TokenizerFiles = ["tokenizer.json", "tokenizer_config.json", "chat_template.jinja"];

    public string? TokenizerPath => File.Exists(System.IO.Path.Combine(Path, "tokenizer.json")) ? System.IO.Path.Combine(Path, "tokenizer.json") : null;

    /// <summary>Copies the <see cref="TokenizerFiles"/> that <paramref name="fromFolder"/> has into <paramref name="toFolder"/>.</summary>
    public static void CopyTokenizerFiles(string fromFolder, string toFolder)
    {
        foreach (var name in TokenizerFiles)
        {
            var source = System.IO.Path.Combine(fromFolder, name);
            if (File.Exists(source))
            {
                File.Copy(source, System.IO.Path.Combine(toFolder, name), overwrite: true);
            }
        }
    }

    /// <summary>Opens and validates a checkpoint folder. <paramref name="verifyChecksums"/> also re-hashes every file.</summary>
    public static CheckpointDirectory Open(string path, bool verifyChecksums = false)
    {
        path = System.IO.Path.GetFullPath(path);
        if (!Directory.Exists(path))
        {
            throw new CheckpointFormatException(path, "checkpoint folder not found");
        }

        var digest = verifyChecksums ? ContentDigest.Verify(path) : ContentDigest.Read(path);
        var config = NemotronHConfig.Load(System.IO.Path.Combine(path, NemotronHConfig.FileName));
        var manifestPath = System.IO.Path.Combine(path, ElasticManifest.FileName);
        bool isElastic = File.Exists(manifestPath);
        var manifest = isElastic ? ElasticManifest.Load(manifestPath, config) : ElasticManifest.ForPlainModel(config, ModelNameFor(path));

        var weights = TensorStore.Open(path);
        try
        {
            CheckTensors(config, weights);
        }
        catch
        {
            weights.Dispose();
            throw;
        }

        return new CheckpointDirectory(path, config, manifest, isElastic, weights, digest);
    }

    /// <summary>The eval.json record, if the folder has one.</summary>
    public EvalRecord? ReadEval()
    {
        var file = System.IO.Path.Combine(Path, EvalRecord.FileName);
        return File.Exists(file) ? EvalRecord.Load(file) : null;
    }

    public void Dispose() => Weights.Dispose();

    /// <summary>Every tensor of the config's layout is present with the right shape and dtype, and there are no others.</summary>
    public static void CheckTensors(NemotronHConfig config, TensorStore weights)
    {
        var dtype = config.DType;
        var expected = TensorLayout.For(config);
        foreach (var spec in expected)
        {
            var info = weights.Info(spec.Name);
            if (!info.Shape.SequenceEqual(spec.Shape))
            {
                throw new CheckpointFormatException(weights.FileOf(spec.Name).Path,
                    $"tensor '{spec.Name}' has shape {info.ShapeText}, config.json implies [{string.Join(", ", spec.Shape)}]");
            }

            if (info.DType != dtype)
            {
                throw new CheckpointFormatException(weights.FileOf(spec.Name).Path,
                    $"tensor '{spec.Name}' is {info.DType}, config.json torch_dtype {config.TorchDtype} implies {dtype}");
            }
        }

        var names = expected.Select(s => s.Name).ToHashSet(StringComparer.Ordinal);
        var extra = weights.Names.Where(n => !names.Contains(n)).Order(StringComparer.Ordinal).FirstOrDefault();
        if (extra is not null)
        {
            throw new CheckpointFormatException(weights.FileOf(extra).Path, $"tensor '{extra}' is not part of a NemotronH model with this config.json");
        }
    }

    // A plain checkpoint has no name of its own: use checkpoints/<model>/ when the folder is published there.
    private static string ModelNameFor(string path)
    {
        var folder = new DirectoryInfo(path);
        var candidate = folder.Name.StartsWith("sha256-", StringComparison.Ordinal) || folder.Name.StartsWith('.') ? folder.Parent?.Name : folder.Name;
        candidate = candidate?.ToLowerInvariant();
        return DnsLabel.IsValid(candidate) ? candidate! : "model";
    }
}
