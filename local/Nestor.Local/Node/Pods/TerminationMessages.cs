using System.Text;
using k8s.Models;

namespace Nestor.Local.Node.Pods;

/// <summary>
/// A terminated container's message, as the kubelet reads it: the terminationMessagePath file (its first
/// 4096 bytes); with terminationMessagePolicy FallbackToLogsOnError and a failed run whose file is
/// empty, the last 80 lines (at most 2048 bytes) of its log.
/// </summary>
public static class TerminationMessages
{
    public const int MaxFileBytes = 4096;
    public const int MaxLogBytes = 2048;
    public const int MaxLogLines = 80;

    public static string? Read(V1Container container, string messageFile, string logFile, int exitCode)
    {
        var message = Read(messageFile, MaxFileBytes, fromEnd: false);
        if (string.IsNullOrEmpty(message) && exitCode != 0 && container.TerminationMessagePolicy == "FallbackToLogsOnError")
        {
            var log = Read(logFile, MaxLogBytes, fromEnd: true);
            if (log is not null)
            {
                var lines = log.TrimEnd('\n').Split('\n');
                message = string.Join('\n', lines.Skip(Math.Max(0, lines.Length - MaxLogLines)));
            }
        }

        return string.IsNullOrEmpty(message) ? null : message;
    }

    private static string? Read(string path, int maxBytes, bool fromEnd)
    {
        try
        {
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
            var length = (int)Math.Min(stream.Length, maxBytes);
            stream.Seek(fromEnd ? -length : 0, fromEnd ? SeekOrigin.End : SeekOrigin.Begin);
            var buffer = new byte[length];
            stream.ReadExactly(buffer);
            return Encoding.UTF8.GetString(buffer);
        }
        catch (FileNotFoundException)
        {
            return null;
        }
        catch (DirectoryNotFoundException)
        {
            return null;
        }
    }
}
