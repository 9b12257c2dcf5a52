namespace Nestor.Checkpoint;

/// <summary>The outcome of publishing: where the checkpoint is and whether an identical one was already there.</summary>
public sealed record PublishedCheckpoint(string Path, string Digest, bool AlreadyExisted);

/// <summary>
/// Atomic publication of checkpoint folders: write everything into a staging folder
/// (<c>checkpoints/&lt;model&gt;/.staging-&lt;random&gt;</c>, ignored by readers), then <see cref="Publish"/> writes
/// <c>checksums.sha256</c> and renames the folder to <c>sha256-&lt;hex&gt;</c>. A crash leaves either no new folder or
/// a complete one; publishing the same content twice is a no-op.
/// </summary>
public static class CheckpointPublisher
{
    public const string StagingPrefix = ".staging-";

    /// <summary>Creates an empty staging folder under the model's checkpoints folder.</summary>
    public static string CreateStaging(string modelFolder)
    {
        Directory.CreateDirectory(modelFolder);
        var path = Path.Combine(Path.GetFullPath(modelFolder), StagingPrefix + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(path);
        return path;
    }

    /// <summary>
    /// Seals a staging folder: writes its checksums, and renames it to <c>sha256-&lt;hex&gt;</c> beside it. When that
    /// folder exists it holds the same content, and the staging folder is deleted instead.
    /// </summary>
    public static PublishedCheckpoint Publish(string stagingFolder)
    {
        stagingFolder = Path.GetFullPath(stagingFolder.TrimEnd('/'));
        if (!Directory.Exists(stagingFolder))
        {
            throw new DirectoryNotFoundException($"{stagingFolder}: staging folder not found");
        }

        var digest = ContentDigest.Write(stagingFolder);
        var target = Path.Combine(Path.GetDirectoryName(stagingFolder)!, ContentDigest.FolderName(digest));
        if (Directory.Exists(target))
        {
            Directory.Delete(stagingFolder, recursive: true);
            return new PublishedCheckpoint(target, digest, AlreadyExisted: true);
        }

        try
        {
            Directory.Move(stagingFolder, target);
        }
        catch (IOException) when (Directory.Exists(target))
        {
            // Another writer published the same content between our check and our rename.
            Directory.Delete(stagingFolder, recursive: true);
            return new PublishedCheckpoint(target, digest, AlreadyExisted: true);
        }

        return new PublishedCheckpoint(target, digest, AlreadyExisted: false);
    }

    /// <summary>Deletes staging folders left by crashed writers that are older than <paramref name="olderThan"/>.</summary>
    public static int RemoveAbandonedStaging(string modelFolder, TimeSpan olderThan)
    {
        if (!Directory.Exists(modelFolder))
        {
            return 0;
        }

        int removed = 0;
        foreach (var dir in Directory.EnumerateDirectories(modelFolder, StagingPrefix + "*"))
        {
            if (DateTime.UtcNow - Directory.GetLastWriteTimeUtc(dir) > olderThan)
            {
                Directory.Delete(dir, recursive: true);
                removed++;
            }
        }

        return removed;
    }
}
