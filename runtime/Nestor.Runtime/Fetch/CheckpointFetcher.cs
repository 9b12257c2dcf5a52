using Nestor.Checkpoint;

namespace Nestor.Runtime.Fetch;

public sealed record FetchRequest(string Source, string DestRoot, string Model, string? ExpectedDigest);

/// <summary>
/// `nestor fetch`: brings a checkpoint to &lt;dest-root&gt;/checkpoints/&lt;model&gt;/sha256-&lt;hex&gt;/ and proves it
/// loads. A folder already there is verified in place (every file re-hashed); a local folder is
/// copied, an http(s) or hf:// source downloaded, into a staging folder that is validated and then
/// published atomically (docs/checkpoint-format.md). An expected digest that differs fails the fetch
/// and publishes nothing.
/// </summary>
public sealed class CheckpointFetcher(RemoteSource remote, Func<string, string?> environment)
{
    public async Task<FetchResult> FetchAsync(FetchRequest request, CancellationToken cancellationToken)
    {
        var layout = new VolumeLayout(request.DestRoot);
        var modelFolder = layout.ModelFolder(request.Model);
        var source = request.Source;
        if (source.StartsWith("file://", StringComparison.Ordinal))
        {
            source = new Uri(source).LocalPath;
        }

        string published;
        if (source.StartsWith("s3://", StringComparison.Ordinal))
        {
            throw new FetchException("s3:// sources are not supported by this build of nestor fetch: use an https:// URL of the folder (a presigned or public one) or hf://");
        }

        if (Path.IsPathRooted(source) && IsPublishedFolder(Path.GetFullPath(source), modelFolder))
        {
            published = Path.GetFullPath(source);
        }
        else
        {
            var staging = CheckpointPublisher.CreateStaging(modelFolder);
            try
            {
                await StageAsync(source, staging, cancellationToken);
                using (CheckpointDirectory.Open(staging, verifyChecksums: File.Exists(Path.Combine(staging, ContentDigest.ChecksumsFileName))))
                {
                }

                var digest = ContentDigest.OfChecksums(ContentDigest.ComputeChecksums(staging));
                CheckExpected(request.ExpectedDigest, digest, request.Source);
                published = CheckpointPublisher.Publish(staging).Path;
            }
            catch
            {
                if (Directory.Exists(staging))
                {
                    Directory.Delete(staging, recursive: true);
                }

                throw;
            }
        }

        using var checkpoint = CheckpointDirectory.Open(published, verifyChecksums: true);
        var verified = checkpoint.Digest!;
        if (ContentDigest.FolderName(verified) != Path.GetFileName(published))
        {
            throw new FetchException($"{published}: its content digest is {verified}: the folder name does not match it");
        }

        CheckExpected(request.ExpectedDigest, verified, request.Source);
        var eval = checkpoint.ReadEval();
        var budgets = checkpoint.Manifest.BySize.Select(b =>
        {
            var e = eval?.Budgets.TryGetValue(b.Name, out var found) == true ? found : null;
            return new FetchedBudget(b.Name, b.Params, b.Bytes, e?.Accuracy, e?.Perplexity);
        }).ToList();
        return new FetchResult(layout.Relative(published), verified, budgets);
    }

    private async Task StageAsync(string source, string staging, CancellationToken cancellationToken)
    {
        if (source.StartsWith("http://", StringComparison.Ordinal) || source.StartsWith("https://", StringComparison.Ordinal))
        {
            await remote.DownloadHttpAsync(new Uri(source), staging, environment("NESTOR_HTTP_AUTHORIZATION"), cancellationToken);
        }
        else if (source.StartsWith("hf://", StringComparison.Ordinal))
        {
            await remote.DownloadHubAsync(source["hf://".Length..], staging, environment("HF_ENDPOINT") ?? "https://huggingface.co", environment("HF_TOKEN"), cancellationToken);
        }
        else if (Directory.Exists(source))
        {
            if (File.Exists(Path.Combine(source, ContentDigest.ChecksumsFileName)))
            {
                ContentDigest.Verify(source); // a source that does not match its own listing is corrupt: say so before copying
            }

            CopyFolder(Path.GetFullPath(source), staging);
        }
        else
        {
            throw new FetchException($"{source}: no such folder (and not an http(s)://, hf:// or file:// URI)");
        }
    }

    private static void CopyFolder(string from, string to)
    {
        foreach (var file in Directory.EnumerateFiles(from, "*", SearchOption.AllDirectories))
        {
            var relative = Path.GetRelativePath(from, file);
            if (relative.Split(Path.DirectorySeparatorChar).Any(VolumeLayout.IsHidden) || relative == ProgressRecordFile)
            {
                continue;
            }

            var target = Path.Combine(to, relative);
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target);
            using var handle = new FileStream(target, FileMode.Open, FileAccess.ReadWrite);
            handle.Flush(flushToDisk: true);
        }
    }

    private const string ProgressRecordFile = "progress.json";

    private static bool IsPublishedFolder(string path, string modelFolder) =>
        Path.GetDirectoryName(path.TrimEnd('/')) == Path.GetFullPath(modelFolder).TrimEnd('/')
        && Path.GetFileName(path.TrimEnd('/')).StartsWith("sha256-", StringComparison.Ordinal);

    private static void CheckExpected(string? expected, string actual, string source)
    {
        if (expected is not null && expected != actual)
        {
            throw new FetchException($"{source} has digest {actual}, not the expected {expected}");
        }
    }
}
