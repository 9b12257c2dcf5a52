namespace Nestor.Checkpoint;

/// <summary>
/// A checkpoint file is malformed, inconsistent or unsupported. The message always starts with the
/// file, and names the field or tensor at fault.
/// </summary>
public sealed class CheckpointFormatException : Exception
{
    public CheckpointFormatException(string filePath, string message, Exception? inner = null)
        : base($"{filePath}: {message}", inner)
    {
        FilePath = filePath;
    }

    /// <summary>The file (or folder) at fault.</summary>
    public string FilePath { get; }
}
