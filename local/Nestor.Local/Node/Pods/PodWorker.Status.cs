using k8s.Models;

namespace Nestor.Local.Node.Pods;

internal sealed partial class PodWorker
{
    /// <summary>The pod's status from what the worker knows (call under the lock).</summary>
    private V1PodStatus BuildStatus()
    {
        var pod = _pod;
        var initDone = _initialized || (_init.Count > 0 && _init.All(r => r.LastExitCode == 0));
        var allReady = initDone && _main.All(r => r.Ready);
        string phase;
        if (_finalPhase is { } final)
        {
            phase = final;
        }
        else if (!initDone || _main.Any(r => r.Runs == 0 && r.State.Terminated is null))
        {
            phase = "Pending";
        }
        else
        {
            phase = "Running";
        }

        var now = DateTime.UtcNow;
        var status = new V1PodStatus
        {
            Phase = phase,
            HostIP = "127.0.0.1",
            HostIPs = [new V1HostIP { Ip = "127.0.0.1" }],
            PodIP = PodIp,
            PodIPs = PodIp is null ? null : [new V1PodIP { Ip = PodIp }],
            StartTime = _startTime,
            Conditions =
            [
                Condition("PodScheduled", true, now),
                Condition("Initialized", initDone, now, initDone ? null : "ContainersNotInitialized"),
                Condition("ContainersReady", allReady && _finalPhase is null, now, allReady ? null : "ContainersNotReady"),
                Condition("Ready", allReady && _finalPhase is null, now, allReady ? null : "ContainersNotReady"),
            ],
            ContainerStatuses = _main.Select(ContainerStatus).ToList(),
            InitContainerStatuses = _init.Count == 0 ? null : _init.Select(ContainerStatus).ToList(),
        };
        return status;
    }

    private V1PodCondition Condition(string type, bool value, DateTime now, string? reason = null)
    {
        var text = value ? "True" : "False";
        if (!_conditions.TryGetValue(type, out var previous) || previous.Status != text)
        {
            previous = (text, now);
            _conditions[type] = previous;
        }

        return new V1PodCondition { Type = type, Status = text, LastTransitionTime = previous.Since, Reason = reason };
    }

    private V1ContainerStatus ContainerStatus(ContainerRun run) => new()
    {
        Name = run.Spec.Name,
        Image = run.Spec.Image,
        ImageID = "local://" + run.Spec.Image,
        ContainerID = ContainerId(run),
        Ready = run.Ready,
        Started = run.State.Running is not null && run.Started,
        RestartCount = run.RestartCount,
        State = run.State,
        LastState = run.LastState ?? new V1ContainerState(),
    };
}
