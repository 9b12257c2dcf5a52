using System.Globalization;
using System.Runtime.InteropServices;

namespace Nestor.Local.Node.Processes;

/// <summary>POSIX signals and /proc facts the supervisor needs and .NET does not expose.</summary>
internal static partial class Native
{
    public const int SIGKILL = 9;
    public const int SIGTERM = 15;
    private const int ESRCH = 3;

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int Kill(int pid, int signal);

    /// <summary>Sends a signal to one process; false when it no longer exists.</summary>
    public static bool Signal(int pid, int signal) => pid > 1 && (Kill(pid, signal) == 0 || Marshal.GetLastPInvokeError() != ESRCH);

    /// <summary>Sends a signal to every process of a process group; false when the group is empty.</summary>
    public static bool SignalGroup(int pgid, int signal) => pgid > 1 && (Kill(-pgid, signal) == 0 || Marshal.GetLastPInvokeError() != ESRCH);

    /// <summary>Fields of /proc/&lt;pid&gt;/stat: process group, session and start time (clock ticks since boot); null when gone.</summary>
    public static (int Pgid, int Sid, long StartTime, char State)? ProcStat(int pid)
    {
        string text;
        try
        {
            text = File.ReadAllText($"/proc/{pid.ToString(CultureInfo.InvariantCulture)}/stat");
        }
        catch (IOException)
        {
            return null;
        }
        catch (UnauthorizedAccessException)
        {
            return null;
        }

        // "pid (comm) state ppid pgrp session tty_nr tpgid flags minflt cminflt majflt cmajflt utime stime cutime cstime priority nice num_threads itrealvalue starttime ..."
        var close = text.LastIndexOf(')');
        if (close < 0)
        {
            return null;
        }

        var fields = text[(close + 2)..].Split(' ');
        if (fields.Length < 20)
        {
            return null;
        }

        return (int.Parse(fields[2], CultureInfo.InvariantCulture), int.Parse(fields[3], CultureInfo.InvariantCulture),
            long.Parse(fields[19], CultureInfo.InvariantCulture), fields[0][0]);
    }

    /// <summary>True when the process exists and is not a zombie.</summary>
    public static bool IsAlive(int pid) => ProcStat(pid) is { State: not 'Z' and not 'X' };

    /// <summary>Every live process whose process group is <paramref name="pgid"/>.</summary>
    public static IEnumerable<int> GroupMembers(int pgid)
    {
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (int.TryParse(Path.GetFileName(dir), NumberStyles.None, CultureInfo.InvariantCulture, out var pid)
                && ProcStat(pid) is { State: not 'Z' and not 'X' } stat && stat.Pgid == pgid)
            {
                yield return pid;
            }
        }
    }
}
