using System.Diagnostics;
using System.Globalization;
using Microsoft.Extensions.Logging.Abstractions;
using Nestor.Local.Node.Processes;
using Nestor.Testing;

namespace Nestor.Local.Tests;

/// <summary>Container processes: own process group, exit codes, and the pid files that let a new agent clean up after a crashed one.</summary>
public sealed class ProcessTests
{
    private static LaunchSpec Spec(ScratchDirectory scratch, string script) => new("/bin/sh", ["-c", script],
        new Dictionary<string, string> { ["PATH"] = Environment.GetEnvironmentVariable("PATH") ?? "/usr/bin:/bin" },
        scratch.Combine("work"), scratch.Combine("logs", "0.log"), []);

    [Fact]
    public async Task ExitCodeIsReportedAndLeftoverChildrenAreKilledWhenTheMainProcessExits()
    {
        using var scratch = new ScratchDirectory("nestor-local-proc");
        using var process = ContainerProcess.Start(Spec(scratch, "sleep 300 & echo $! > child; exit 5"), null, enforceReadOnly: false);
        Assert.Equal(5, await process.Exited.WaitAsync(TimeSpan.FromSeconds(10)));
        var child = int.Parse(File.ReadAllText(scratch.Combine("work", "child")).Trim(), CultureInfo.InvariantCulture);
        Assert.True(await Eventually.TrueAsync(() => Task.FromResult(!Native.IsAlive(child))), "the background child outlived its container");
    }

    [Fact]
    public async Task OrphansRecordedInPidFilesAreKilledButARecycledPidIsNot()
    {
        using var scratch = new ScratchDirectory("nestor-local-orphans");
        var pods = scratch.Combine("pods");
        var pidFile = Path.Combine(pods, "ns_p_uid", "containers", "c", PidFiles.FileName);
        using var process = ContainerProcess.Start(Spec(scratch, "sleep 300 & sleep 300 & wait"), pidFile, enforceReadOnly: false);
        Assert.True(await Eventually.TrueAsync(() => Task.FromResult(Native.GroupMembers(process.Pid).Count() >= 3)), "the shell and two sleeps");
        var group = Native.GroupMembers(process.Pid).ToList();

        // A pid file naming a live process with another start time is a recycled pid: left alone.
        using var bystander = Process.Start(new ProcessStartInfo("sleep", "300"))!;
        var start = Native.ProcStat(bystander.Id)!.Value.StartTime;
        var stale = Path.Combine(pods, "ns_q_uid", "containers", "c", PidFiles.FileName);
        Directory.CreateDirectory(Path.GetDirectoryName(stale)!);
        File.WriteAllText(stale, $"{bystander.Id} {start + 1}\n");

        var killed = PidFiles.KillOrphans(pods, NullLogger.Instance);
        Assert.True(killed >= 3, $"killed {killed}");
        Assert.Equal(128 + Native.SIGKILL, await process.Exited.WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.True(await Eventually.TrueAsync(() => Task.FromResult(group.All(pid => !Native.IsAlive(pid)))), "a process of the group survived");
        Assert.True(Native.IsAlive(bystander.Id), "a process with a recycled pid was killed");
        Assert.False(File.Exists(stale));
        bystander.Kill();
    }
}
