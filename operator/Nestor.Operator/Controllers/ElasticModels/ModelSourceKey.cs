using System.Security.Cryptography;
using System.Text;
using Nestor.Api.V1Alpha1;

namespace Nestor.Operator.Controllers.ElasticModels;

/// <summary>
/// What the loader must fetch for the model's current source: the argument of `nestor fetch
/// --source`, the expected digest, and the text recorded in status.checkpoint.source. Its hash names
/// the loader Job, so a new source (or a new CompressionRun result) gets a new Job.
/// </summary>
public sealed record ModelSourceKey(string FetchSource, string? ExpectedDigest, string Description, bool NeedsSecret)
{
    public string JobName(string model) =>
        $"{model}-load-{Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes($"{FetchSource}|{ExpectedDigest}")))[..8]}";

    /// <summary>The key of a path or URI source (a CompressionRun's is made from its result).</summary>
    public static ModelSourceKey? Of(ElasticModel model)
    {
        var source = model.Spec.Source;
        var mount = model.Spec.WeightVolume.MountPath.TrimEnd('/');
        if (source.Checkpoint is { } checkpoint)
        {
            return new ModelSourceKey($"{mount}/{checkpoint.Path.TrimStart('/')}", checkpoint.Digest, checkpoint.Path, false);
        }

        if (source.Uri is { } uri)
        {
            return new ModelSourceKey(uri.Url, uri.Digest, uri.Url, uri.SecretRef is not null);
        }

        return null;
    }

    public static ModelSourceKey OfRunResult(ElasticModel model, CompressionRun run, CompressionResult result)
    {
        var mount = model.Spec.WeightVolume.MountPath.TrimEnd('/');
        return new ModelSourceKey($"{mount}/{RelativeToMount(result.CheckpointPath, mount)}", result.Digest, $"compressionrun/{run.Metadata.Name}", false);
    }

    /// <summary>A result path relative to the volume root (results may name it absolute, under the mount).</summary>
    public static string RelativeToMount(string path, string mountPath)
    {
        var mount = mountPath.TrimEnd('/') + "/";
        return path.StartsWith(mount, StringComparison.Ordinal) ? path[mount.Length..] : path.TrimStart('/');
    }
}
