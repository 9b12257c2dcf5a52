namespace Nestor.Checkpoint;

/// <summary>
/// Paths on the weight volume (mounted at <c>/weights</c> by default):
/// <c>checkpoints/&lt;model&gt;/sha256-&lt;hex&gt;/</c> for published checkpoints and
/// <c>runs/&lt;namespace&gt;.&lt;run&gt;/</c> for a CompressionRun's work folder.
/// </summary>
public sealed class VolumeLayout(string root)
{
    public const string DefaultRoot = "/weights";

    public string Root { get; } = Path.GetFullPath(root);

    public string CheckpointsFolder => Path.Combine(Root, "checkpoints");

    /// <summary><c>checkpoints/&lt;model&gt;</c>: where a model's published checkpoints and staging folders live.</summary>
    public string ModelFolder(string model) => Path.Combine(CheckpointsFolder, CheckName(model, nameof(model)));

    /// <summary><c>checkpoints/&lt;model&gt;/sha256-&lt;hex&gt;</c> for a digest <c>sha256:&lt;hex&gt;</c>.</summary>
    public string CheckpointFolder(string model, string digest) => Path.Combine(ModelFolder(model), ContentDigest.FolderName(digest));

    /// <summary><c>runs/&lt;namespace&gt;.&lt;run&gt;</c>.</summary>
    public string RunFolder(string runNamespace, string run) =>
        Path.Combine(Root, "runs", $"{CheckName(runNamespace, nameof(runNamespace))}.{CheckName(run, nameof(run))}");

    public string ProgressFile(string runNamespace, string run) => Path.Combine(RunFolder(runNamespace, run), ProgressRecord.FileName);

    /// <summary><c>runs/&lt;namespace&gt;.&lt;run&gt;/state/step-&lt;NNNNNNNN&gt;</c>: resumable trainer state.</summary>
    public string StateFolder(string runNamespace, string run, long step) =>
        Path.Combine(RunFolder(runNamespace, run), "state", $"step-{step:D8}");

    /// <summary>A path relative to the volume root, with '/' separators (as progress.json records it).</summary>
    public string Relative(string path) => Path.GetRelativePath(Root, Path.GetFullPath(path)).Replace('\\', '/');

    /// <summary>True for names readers must ignore (staging folders, temporary files).</summary>
    public static bool IsHidden(string name) => name.StartsWith('.');

    private static string CheckName(string name, string what) =>
        DnsLabel.Problem(name) is { } problem ? throw new ArgumentException($"{what} {problem}", what) : name;
}
