namespace Nestor.Runtime.Commands;

/// <summary>
/// The one-line JSON result a command leaves for the operator in the pod's termination message: the file named by
/// --termination-log, or by default /dev/termination-log when it exists (in a pod), else nothing.
/// </summary>
public static class TerminationLog
{
    public const string DefaultPath = "/dev/termination-log";

    /// <summary>Kubernetes keeps at most 4096 bytes of a termination message.</summary>
    public const int MaxBytes = 4096;

    public static void Write(string? path, string line)
    {
        path ??= DefaultPath;
        if (path == DefaultPath && !File.Exists(path))
        {
            return;
        }

        try
        {
            var bytes = System.Text.Encoding.UTF8.GetBytes(line.EndsWith('\n') ? line : line + "\n");
            File.WriteAllBytes(path, bytes.Length <= MaxBytes ? bytes : bytes[..MaxBytes]);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            Console.Error.WriteLine($"could not write the termination log {path}: {e.Message}");
        }
    }
}
