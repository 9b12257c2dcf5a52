namespace Nestor.Local.Node.Processes;

/// <summary>The host programs the supervisor starts containers with (util-linux setsid and unshare, a POSIX sh).</summary>
public static class HostTools
{
    private static readonly Lazy<string?> LazySetsid = new(() => Find("setsid"));
    private static readonly Lazy<string?> LazyUnshare = new(() => Find("unshare"));
    private static readonly Lazy<bool> LazyReadOnlyMounts = new(ProbeReadOnlyMounts);

    public static string Shell => File.Exists("/bin/sh") ? "/bin/sh" : Find("sh") ?? throw new InvalidOperationException("no POSIX shell (sh) found");

    public static string Setsid => LazySetsid.Value ?? throw new InvalidOperationException("setsid (util-linux) not found on PATH; install util-linux");

    /// <summary>
    /// True when this process may make private mount namespaces with read-only bind mounts (root with
    /// CAP_SYS_ADMIN, as on a developer machine or a privileged CI container). Probed once.
    /// </summary>
    public static bool CanEnforceReadOnlyMounts => LazyReadOnlyMounts.Value;

    public static string? Unshare => LazyUnshare.Value;

    public static string? Find(string name)
    {
        foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? "/usr/local/bin:/usr/bin:/bin").Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Concat(["/usr/sbin", "/sbin", "/usr/bin", "/bin"]))
        {
            var candidate = Path.Combine(dir, name);
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        return null;
    }

    private static bool ProbeReadOnlyMounts()
    {
        if (!OperatingSystem.IsLinux() || Environment.UserName != "root" || Unshare is null)
        {
            return false;
        }

        var dir = Directory.CreateTempSubdirectory("nestor-ro-probe-").FullName;
        try
        {
            var info = new System.Diagnostics.ProcessStartInfo(Unshare)
            {
                RedirectStandardError = true,
                RedirectStandardOutput = true,
                ArgumentList =
                {
                    "-m", "--propagation", "private", Shell, "-c",
                    "mount --bind \"$0\" \"$0\" && mount -o remount,bind,ro \"$0\" \"$0\" && ! touch \"$0/x\" 2>/dev/null", dir,
                },
            };
            using var probe = System.Diagnostics.Process.Start(info);
            if (probe is null || !probe.WaitForExit(5000))
            {
                probe?.Kill();
                return false;
            }

            return probe.ExitCode == 0;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return false;
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
