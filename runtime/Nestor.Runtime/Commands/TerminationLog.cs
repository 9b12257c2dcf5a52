namespace Nestor.Runtime.Commands;

/// <summary>
/// The one-line JSON result a command leaves for the operator in the pod's termination message: the file named by
/// --termination-log, or by default /dev/termination-log when it is writable (in a pod), else nothing.
/// </summary>
public static class TerminationLog
{
    public const string DefaultPath = "/dev/termination-log";

    public static void Write(string? path, string line)
    {
        path ??= File.Exists(DefaultPath) ? DefaultPath : null;
        if (path is null)
        {
            return;
        }

        try
        {
            File.WriteAllText(path, line + "\n");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            Console.Error.WriteLine($"could not write the termination log {path}: {e.Message}");
        }
    }
}
