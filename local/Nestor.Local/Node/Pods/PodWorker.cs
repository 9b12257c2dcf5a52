using System.Net;
using System.Text.Json.Nodes;
using k8s;
using k8s.Models;
using Microsoft.Extensions.Logging;
using Nestor.Local.Cluster;
using Nestor.Local.Node.Env;
using Nestor.Local.Node.Processes;
using Nestor.Local.Node.Volumes;
using Nestor.Operator.Core.Kube;

namespace Nestor.Local.Node.Pods;

/// <summary>
/// Runs one pod as local processes, as a kubelet's pod worker: holds the node finalizer while any
/// process may run, gives the pod a loopback IP, sets up its volumes, runs init containers in order
/// and then the containers, restarts them per restartPolicy with exponential backoff, probes them,
/// reports status, and on deletion sends SIGTERM, waits terminationGracePeriodSeconds, then SIGKILLs
/// the process group. Once no process runs any more, the finalizer is removed.
/// </summary>
internal sealed partial class PodWorker
{
    public const string NodeFinalizer = "nestor.dev/local-node";
    private static readonly ResourceType PodType = ResourceType.For<V1Pod>();

    private readonly NodeContext _node;
    private readonly ILogger _logger;
    private readonly Lock _lock = new();
    private readonly CancellationTokenSource _terminate = new();
    private readonly TaskCompletionSource _terminateSignal = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly SemaphoreSlim _dirty = new(0, 1);
    private readonly List<ContainerRun> _init;
    private readonly List<ContainerRun> _main;
    private readonly Dictionary<string, (string Status, DateTime Since)> _conditions = [];
    private volatile V1Pod _pod;
    private volatile bool _gone;
    private volatile bool _agentStopping;
    private IPAddress? _ip;
    private DateTime? _startTime;
    private bool _initialized;
    private string? _finalPhase;
    private string? _lastWritten;

    public PodWorker(NodeContext node, V1Pod pod)
    {
        _node = node;
        _pod = pod;
        _logger = node.LoggerFactory.CreateLogger($"Pod<{pod.Metadata.NamespaceProperty}/{pod.Metadata.Name}>");
        _init = (pod.Spec.InitContainers ?? []).Select(c => new ContainerRun(c, init: true)).ToList();
        _main = pod.Spec.Containers.Select(c => new ContainerRun(c, init: false)).ToList();
        PodDirectory = node.Layout.PodDirectory(pod.Metadata.NamespaceProperty, pod.Metadata.Name, pod.Metadata.Uid);
    }

    public string Uid => _pod.Metadata.Uid;

    public ObjectKey Key => ObjectKey.Of(_pod);

    public string PodDirectory { get; }

    public string? PodIp => _ip?.ToString();

    /// <summary>Pids of the containers running now.</summary>
    public IReadOnlyList<int> Pids
    {
        get
        {
            lock (_lock)
            {
                return _init.Concat(_main).Select(r => r.Process).Where(p => p is { HasExited: false }).Select(p => p!.Pid).ToList();
            }
        }
    }

    private bool Terminating => _terminate.IsCancellationRequested;

    /// <summary>The latest pod object from the informer.</summary>
    public void Update(V1Pod pod)
    {
        _pod = pod;
        if (pod.Metadata.DeletionTimestamp is not null)
        {
            RequestTermination();
        }
    }

    /// <summary>The pod object is gone (deleted without waiting for the node): stop its processes, write nothing.</summary>
    public void Gone()
    {
        _gone = true;
        RequestTermination();
    }

    /// <summary>The agent is stopping: stop the processes (a short grace), leave the pod object as it is.</summary>
    public void StopForShutdown()
    {
        _agentStopping = true;
        RequestTermination();
    }

    private void RequestTermination()
    {
        if (!_terminate.IsCancellationRequested)
        {
            try
            {
                _terminate.Cancel();
            }
            catch (ObjectDisposedException)
            {
            }
        }

        _terminateSignal.TrySetResult();
    }

    public async Task RunAsync()
    {
        if (!await EnsureFinalizerAsync())
        {
            return;
        }

        if (_pod.Metadata.DeletionTimestamp is not null)
        {
            RequestTermination(); // deleted while no agent ran it (an agent restart): run nothing, finish it
        }

        _ip = _node.PodIps.Allocate();
        _startTime = DateTime.UtcNow;
        using var statusStop = new CancellationTokenSource();
        var statusLoop = StatusLoopAsync(statusStop.Token);
        try
        {
            Signal();
            var volumes = await PrepareVolumesAsync();
            if (volumes is not null)
            {
                await RunContainersAsync(volumes);
            }
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            _logger.LogError(e, "Pod worker failed");
        }
        finally
        {
            await StopAllAsync();
            await statusStop.CancelAsync();
            try
            {
                await statusLoop;
            }
            catch (OperationCanceledException)
            {
            }

            if (!_gone && !_agentStopping)
            {
                lock (_lock)
                {
                    _finalPhase = ComputeFinalPhase();
                }

                await WriteFinalAsync();
            }

            _node.PodIps.Release(_ip);
        }
    }

    private async Task<bool> EnsureFinalizerAsync()
    {
        var pod = _pod;
        if (pod.Metadata.Finalizers?.Contains(NodeFinalizer) == true)
        {
            return true;
        }

        if (pod.Metadata.DeletionTimestamp is not null)
        {
            return false;
        }

        try
        {
            const string patch = "{\"metadata\":{\"finalizers\":[\"" + NodeFinalizer + "\"]}}";
            _pod = await _node.Api.PatchAsync<V1Pod>(PodType, pod.Metadata.NamespaceProperty, pod.Metadata.Name, PatchKind.StrategicMerge, patch, CancellationToken.None);
            return _pod.Metadata.Uid == pod.Metadata.Uid && _pod.Metadata.DeletionTimestamp is null;
        }
        catch (KubeApiException e)
        {
            _logger.LogInformation("Pod not started: {Message}", e.Message);
            return false;
        }
    }

    private async Task<IReadOnlyDictionary<string, PreparedVolume>?> PrepareVolumesAsync()
    {
        while (!Terminating)
        {
            try
            {
                return await _node.Volumes.PrepareAsync(_pod, PodDirectory, PodIp!, _terminate.Token);
            }
            catch (VolumeNotReadyException e)
            {
                SetWaitingAll("ContainerCreating", e.Message);
            }
            catch (KubeApiException e)
            {
                SetWaitingAll("ContainerCreating", e.Message);
            }

            await DelayAsync(_node.Options.RetryInterval);
        }

        return null;
    }

    private async Task RunContainersAsync(IReadOnlyDictionary<string, PreparedVolume> volumes)
    {
        foreach (var run in _init)
        {
            var code = await RunContainerAsync(run, volumes);
            if (code != 0 || Terminating)
            {
                return; // an init container that failed for good fails the pod; main containers never start
            }
        }

        lock (_lock)
        {
            _initialized = true;
        }

        await Task.WhenAll(_main.Select(run => RunContainerAsync(run, volumes)));
    }

    /// <summary>Runs a container until it will not run again; returns its last exit code (-1 when it never ran).</summary>
    private async Task<int> RunContainerAsync(ContainerRun run, IReadOnlyDictionary<string, PreparedVolume> volumes)
    {
        await Task.Yield();
        var crashes = 0;
        while (!Terminating)
        {
            LaunchSpec spec;
            LaunchContext context;
            try
            {
                (spec, context) = await _node.Launcher.BuildAsync(_pod, run, PodDirectory, volumes, Facts(), _terminate.Token);
            }
            catch (ImageUnavailableException e)
            {
                SetWaiting(run, e.Reason, e.Message);
                await DelayAsync(_node.Options.RetryInterval);
                continue;
            }
            catch (Exception e) when (e is ContainerConfigException or VolumeNotReadyException or KubeApiException)
            {
                SetWaiting(run, "CreateContainerConfigError", e.Message);
                await DelayAsync(_node.Options.RetryInterval);
                continue;
            }
            catch (StartErrorException e)
            {
                Terminated(run, 128, "StartError", e.Message, DateTime.UtcNow);
                if (!await BackOffAsync(run, 128, ++crashes))
                {
                    return 128;
                }

                continue;
            }
            catch (OperationCanceledException)
            {
                break;
            }

            var (code, ranFor) = await RunOnceAsync(run, spec, context);
            if (Terminating)
            {
                return code;
            }

            crashes = ranFor > TimeSpan.FromMinutes(10) ? 1 : crashes + 1;
            if (!await BackOffAsync(run, code, crashes))
            {
                return code;
            }
        }

        lock (_lock)
        {
            return run.LastExitCode ?? -1;
        }
    }

    private async Task<(int Code, TimeSpan RanFor)> RunOnceAsync(ContainerRun run, LaunchSpec spec, LaunchContext context)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(context.TerminationMessageFile)!);
        File.WriteAllBytes(context.TerminationMessageFile, []);
        var pidFile = Path.Combine(ContainerLauncher.ContainerDirectory(PodDirectory, run.Spec.Name), PidFiles.FileName);
        ContainerProcess process;
        try
        {
            process = ContainerProcess.Start(spec, pidFile, _node.EnforceReadOnlyMounts);
        }
        catch (Exception e) when (e is System.ComponentModel.Win32Exception or InvalidOperationException or IOException)
        {
            Terminated(run, 128, "StartError", e.Message, DateTime.UtcNow);
            return (128, TimeSpan.Zero);
        }

        var started = DateTime.UtcNow;
        lock (_lock)
        {
            if (run.Runs > 0)
            {
                run.RestartCount++;
            }

            run.Runs++;
            run.Process = process;
            run.Context = context;
            run.State = new V1ContainerState { Running = new V1ContainerStateRunning { StartedAt = started } };
            run.Started = run.Spec.StartupProbe is null;
            run.Ready = false;
        }

        _logger.LogInformation("Container {Container} started: pid {Pid}, {Executable}", run.Spec.Name, process.Pid, spec.Executable);
        Signal();
        var liveness = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        using var probeStop = new CancellationTokenSource();
        var probes = run.Init ? Task.CompletedTask : ProbeLoopAsync(run, liveness, probeStop.Token);
        var first = await Task.WhenAny(process.Exited, _terminateSignal.Task, liveness.Task);
        string? killedBecause = null;
        if (first != process.Exited)
        {
            killedBecause = first == liveness.Task ? await liveness.Task : null;
            if (killedBecause is not null)
            {
                _logger.LogWarning("Container {Container} failed its liveness probe: {Message}; restarting", run.Spec.Name, killedBecause);
            }

            await StopProcessAsync(process, GracePeriod());
        }

        var code = await process.Exited;
        await probeStop.CancelAsync();
        try
        {
            await probes;
        }
        catch (OperationCanceledException)
        {
        }

        process.Dispose();
        var message = TerminationMessages.Read(run.Spec, context.TerminationMessageFile, spec.LogFile, code);
        Terminated(run, code, code == 0 ? "Completed" : "Error", killedBecause is null ? message : $"liveness probe failed: {killedBecause}", started);
        _logger.LogInformation("Container {Container} exited with {Code}", run.Spec.Name, code);
        return (code, DateTime.UtcNow - started);
    }

    /// <summary>After a run ended: false when the container is done for good; else waits out the restart backoff and returns true.</summary>
    private async Task<bool> BackOffAsync(ContainerRun run, int code, int crashes)
    {
        var policy = _pod.Spec.RestartPolicy ?? "Always";
        var restart = run.Init ? code != 0 && policy != "Never" : policy == "Always" || (policy == "OnFailure" && code != 0);
        if (!restart || Terminating)
        {
            return false;
        }

        var options = _node.Options;
        var delay = TimeSpan.FromTicks((long)Math.Min(options.RestartBackoffMax.Ticks, options.RestartBackoffBase.Ticks * Math.Pow(2, Math.Min(crashes - 1, 30))));
        lock (_lock)
        {
            run.LastState = run.State;
            run.State = new V1ContainerState
            {
                Waiting = new V1ContainerStateWaiting
                {
                    Reason = "CrashLoopBackOff",
                    Message = $"back-off {delay.TotalSeconds:0.###}s restarting failed container={run.Spec.Name} pod={_pod.Metadata.Name}",
                },
            };
        }

        Signal();
        await DelayAsync(delay);
        return !Terminating;
    }

    private void Terminated(ContainerRun run, int code, string reason, string? message, DateTime startedAt)
    {
        lock (_lock)
        {
            run.Process = null;
            run.Ready = false;
            run.LastExitCode = code;
            run.State = new V1ContainerState
            {
                Terminated = new V1ContainerStateTerminated
                {
                    ExitCode = code,
                    Reason = reason,
                    Message = string.IsNullOrEmpty(message) ? null : message,
                    StartedAt = startedAt,
                    FinishedAt = DateTime.UtcNow,
                    Signal = code > 128 && code < 160 ? code - 128 : null,
                    ContainerID = ContainerId(run),
                },
            };
        }

        Signal();
    }

    private async Task StopAllAsync()
    {
        List<ContainerProcess> running;
        lock (_lock)
        {
            running = _init.Concat(_main).Select(r => r.Process).OfType<ContainerProcess>().Where(p => !p.HasExited).ToList();
        }

        await Task.WhenAll(running.Select(p => StopProcessAsync(p, GracePeriod())));
    }

    /// <summary>SIGTERM, then SIGKILL to the whole process group once the grace period has passed.</summary>
    private async Task StopProcessAsync(ContainerProcess process, TimeSpan grace)
    {
        if (process.HasExited)
        {
            return;
        }

        process.Terminate();
        if (await Task.WhenAny(process.Exited, Task.Delay(grace)) != process.Exited)
        {
            _logger.LogInformation("Process {Pid} still running {Grace} s after SIGTERM: SIGKILL", process.Pid, grace.TotalSeconds);
            process.Kill();
        }

        await process.Exited;
    }

    private TimeSpan GracePeriod()
    {
        var own = TimeSpan.FromSeconds(Math.Max(0, _pod.Spec.TerminationGracePeriodSeconds ?? 30));
        return _agentStopping || _gone ? TimeSpan.FromTicks(Math.Min(own.Ticks, _node.Options.ShutdownGracePeriod.Ticks)) : own;
    }

    private PodRuntimeFacts Facts() => new(PodIp!, "127.0.0.1", _node.ServiceEnvironment(_pod.Metadata.NamespaceProperty));

    private void SetWaitingAll(string reason, string message)
    {
        foreach (var run in _init.Concat(_main))
        {
            SetWaiting(run, reason, message);
        }
    }

    private void SetWaiting(ContainerRun run, string reason, string message)
    {
        lock (_lock)
        {
            if (run.State.Waiting?.Reason == reason && run.State.Waiting?.Message == message)
            {
                return;
            }

            run.State = new V1ContainerState { Waiting = new V1ContainerStateWaiting { Reason = reason, Message = message } };
        }

        _logger.LogWarning("Container {Container} waiting: {Reason}: {Message}", run.Spec.Name, reason, message);
        Signal();
    }

    private async Task DelayAsync(TimeSpan delay)
    {
        try
        {
            await Task.Delay(delay, _terminate.Token);
        }
        catch (OperationCanceledException)
        {
        }
    }

    private void Signal()
    {
        try
        {
            _dirty.Release();
        }
        catch (SemaphoreFullException)
        {
        }
    }

    private static string? ContainerId(ContainerRun run) => run.Process is { } p ? $"local://{p.Pid}" : run.State.Terminated?.ContainerID;

    private async Task StatusLoopAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            await _dirty.WaitAsync(cancellationToken);
            if (_gone)
            {
                continue;
            }

            try
            {
                await WriteStatusAsync(cancellationToken);
            }
            catch (KubeApiException e) when (e.IsNotFound)
            {
                _gone = true;
            }
            catch (KubeApiException e)
            {
                _logger.LogDebug("Status write failed: {Message}; retrying", e.Message);
                await Task.Delay(200, cancellationToken);
                Signal();
            }
            catch (HttpRequestException e)
            {
                _logger.LogDebug("Status write failed: {Message}; retrying", e.Message);
                await Task.Delay(200, cancellationToken);
                Signal();
            }
        }
    }

    private async Task WriteStatusAsync(CancellationToken cancellationToken)
    {
        V1PodStatus status;
        lock (_lock)
        {
            status = BuildStatus();
        }

        var json = KubernetesJson.Serialize(status);
        if (json == _lastWritten)
        {
            return;
        }

        var pod = _pod;
        var patch = new JsonObject { ["status"] = JsonNode.Parse(json) }.ToJsonString();
        await _node.Api.PatchAsync<V1Pod>(PodType, pod.Metadata.NamespaceProperty, pod.Metadata.Name, PatchKind.Merge, patch, cancellationToken, subresource: "status");
        _lastWritten = json;
    }

    /// <summary>The terminal status, then the finalizer removed (so whoever watches sees the outcome before the pod can go).</summary>
    private async Task WriteFinalAsync()
    {
        var pod = _pod;
        for (var attempt = 0; attempt < 20; attempt++)
        {
            try
            {
                await WriteStatusAsync(CancellationToken.None);
                const string patch = "{\"metadata\":{\"$deleteFromPrimitiveList/finalizers\":[\"" + NodeFinalizer + "\"]}}";
                await _node.Api.PatchAsync<V1Pod>(PodType, pod.Metadata.NamespaceProperty, pod.Metadata.Name, PatchKind.StrategicMerge, patch, CancellationToken.None);
                return;
            }
            catch (KubeApiException e) when (e.IsNotFound)
            {
                return;
            }
            catch (Exception e) when (e is KubeApiException or HttpRequestException)
            {
                _logger.LogWarning("Final status write failed: {Message}; retrying", e.Message);
                await Task.Delay(250);
            }
        }
    }

    /// <summary>Succeeded when every container's last run exited 0, else Failed (a container that never ran failed).</summary>
    private string ComputeFinalPhase()
    {
        if (!_initialized)
        {
            return "Failed";
        }

        return _main.All(r => r.LastExitCode == 0) ? "Succeeded" : "Failed";
    }
}
