using System.Globalization;
using Microsoft.Extensions.Logging;

namespace Nestor.Local.Node.Processes;

/// <summary>
/// One file per running container (pods/&lt;pod&gt;/containers/&lt;name&gt;/pid: "pid starttime"), so that
/// processes a crashed agent left behind are found and killed when the next one starts. The start
/// time (from /proc) guards against a recycled pid.
/// </summary>
public static class PidFiles
{
    public const string FileName = "pid";

    public static void Write(string path, int pid)
    {
        var start = Native.ProcStat(pid)?.StartTime ?? 0;
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var temp = path + ".tmp";
        File.WriteAllText(temp, string.Create(CultureInfo.InvariantCulture, $"{pid} {start}\n"));
        File.Move(temp, path, overwrite: true);
    }

    public static void Delete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (IOException)
        {
        }
    }

    /// <summary>Kills every process group recorded under <paramref name="podsRoot"/> that still runs; returns how many.</summary>
    public static int KillOrphans(string podsRoot, ILogger logger)
    {
        if (!Directory.Exists(podsRoot))
        {
            return 0;
        }

        var killed = 0;
        foreach (var file in Directory.EnumerateFiles(podsRoot, FileName, SearchOption.AllDirectories))
        {
            var parts = File.ReadAllText(file).Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            if (parts.Length == 2 && int.TryParse(parts[0], CultureInfo.InvariantCulture, out var pid)
                && long.TryParse(parts[1], CultureInfo.InvariantCulture, out var start) && pid > 1)
            {
                var members = new List<int>();
                if (Native.ProcStat(pid) is { } main && main.StartTime == start)
                {
                    members.Add(pid);
                }

                // The main process may be gone while its children live on in its group and session.
                members.AddRange(Native.GroupMembers(pid).Where(m => m != pid && Native.ProcStat(m) is { } s && s.Sid == pid && s.StartTime >= start));
                if (members.Count > 0)
                {
                    logger.LogWarning("Killing {Count} process(es) of group {Pgid} left by an earlier node agent ({File})", members.Count, pid, file);
                    Native.SignalGroup(pid, Native.SIGKILL);
                    foreach (var member in members)
                    {
                        Native.Signal(member, Native.SIGKILL);
                    }

                    killed += members.Count;
                }
            }

            Delete(file);
        }

        return killed;
    }
}
