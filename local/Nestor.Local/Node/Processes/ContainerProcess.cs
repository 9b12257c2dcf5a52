using System.Diagnostics;
using System.Globalization;

namespace Nestor.Local.Node.Processes;

/// <summary>
/// One run of a container as a local process. It starts in a session and process group of its own
/// (setsid), with stdin from /dev/null and stdout and stderr appended to its log file, and, when
/// read-only mounts are enforced, in a private mount namespace where each read-only volume's
/// directory is bind-mounted read-only onto itself. The pid is the container's main process (every
/// wrapper execs), so SIGTERM reaches the program itself, as PID 1 of a container; once it exits,
/// whatever it left in its process group is SIGKILLed, as a container runtime tears down the
/// container's PID namespace. A pid file (pid and start time) lets the next agent find and kill
/// what a crashed agent left running.
/// </summary>
public sealed class ContainerProcess : IDisposable
{
    // $0 is the log file, $1 the count of read-only directories, then those directories, then the command.
    private const string Script =
        "log=$0; n=$1; shift; " +
        "while [ \"$n\" -gt 0 ]; do mount --bind \"$1\" \"$1\" && mount -o remount,bind,ro \"$1\" \"$1\" " +
        "|| { echo \"nestor-local: cannot mount $1 read-only\" >>\"$log\"; exit 125; }; shift; n=$((n-1)); done; " +
        "exec </dev/null >>\"$log\" 2>&1; exec \"$@\"";

    private readonly Process _process;
    private readonly string? _pidFile;

    private ContainerProcess(Process process, string? pidFile, LaunchSpec spec)
    {
        _process = process;
        _pidFile = pidFile;
        Pid = process.Id;
        Spec = spec;
        StartedAt = DateTime.UtcNow;
        Exited = WaitAsync();
    }

    public int Pid { get; }

    public LaunchSpec Spec { get; }

    public DateTime StartedAt { get; }

    /// <summary>Completes with the exit code (128 + signal when a signal ended it) once the process and its group are gone.</summary>
    public Task<int> Exited { get; }

    public bool HasExited => Exited.IsCompleted;

    public static ContainerProcess Start(LaunchSpec spec, string? pidFile, bool enforceReadOnly)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(spec.LogFile)!);
        Directory.CreateDirectory(spec.WorkingDirectory);
        var info = new ProcessStartInfo(HostTools.Setsid)
        {
            UseShellExecute = false,
            WorkingDirectory = spec.WorkingDirectory,
        };
        var readOnly = enforceReadOnly ? spec.ReadOnlyDirectories : [];
        if (readOnly.Count > 0)
        {
            info.ArgumentList.Add(HostTools.Unshare!);
            info.ArgumentList.Add("-m");
            info.ArgumentList.Add("--propagation");
            info.ArgumentList.Add("private");
        }

        info.ArgumentList.Add(HostTools.Shell);
        info.ArgumentList.Add("-c");
        info.ArgumentList.Add(Script);
        info.ArgumentList.Add(spec.LogFile);
        info.ArgumentList.Add(readOnly.Count.ToString(CultureInfo.InvariantCulture));
        foreach (var dir in readOnly)
        {
            info.ArgumentList.Add(dir);
        }

        info.ArgumentList.Add(spec.Executable);
        foreach (var argument in spec.Arguments)
        {
            info.ArgumentList.Add(argument);
        }

        info.Environment.Clear();
        foreach (var (name, value) in spec.Environment)
        {
            info.Environment[name] = value;
        }

        var process = Process.Start(info) ?? throw new InvalidOperationException($"could not start {spec.Executable}");
        if (pidFile is not null)
        {
            PidFiles.Write(pidFile, process.Id);
        }

        return new ContainerProcess(process, pidFile, spec);
    }

    /// <summary>SIGTERM to the main process only (as to a container's PID 1).</summary>
    public void Terminate() => Native.Signal(Pid, Native.SIGTERM);

    /// <summary>SIGKILL to the main process and everything in its process group.</summary>
    public void Kill()
    {
        Native.SignalGroup(Pid, Native.SIGKILL);
        Native.Signal(Pid, Native.SIGKILL);
    }

    private async Task<int> WaitAsync()
    {
        await _process.WaitForExitAsync();
        var code = _process.ExitCode;
        // The container is gone: nothing it started may outlive it.
        Native.SignalGroup(Pid, Native.SIGKILL);
        if (_pidFile is not null)
        {
            PidFiles.Delete(_pidFile);
        }

        return code;
    }

    public void Dispose() => _process.Dispose();
}
