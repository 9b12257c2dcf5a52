using k8s.Models;
using Nestor.Local.Node.Processes;
using Nestor.Local.Node.Volumes;

namespace Nestor.Local.Node.Pods;

/// <summary>What the node agent knows about one container of a pod (guarded by its pod worker's lock).</summary>
internal sealed class ContainerRun(V1Container spec, bool init)
{
    public V1Container Spec { get; } = spec;

    public bool Init { get; } = init;

    public int RestartCount { get; set; }

    public int Runs { get; set; }

    public V1ContainerState State { get; set; } = new() { Waiting = new V1ContainerStateWaiting { Reason = "ContainerCreating" } };

    public V1ContainerState? LastState { get; set; }

    public bool Ready { get; set; }

    public bool Started { get; set; }

    public ContainerProcess? Process { get; set; }

    /// <summary>The exit code of the last run, when there was one.</summary>
    public int? LastExitCode { get; set; }

    /// <summary>The environment and path mappings of the current run, for exec probes.</summary>
    public LaunchContext? Context { get; set; }
}

/// <summary>A container run's resolved surroundings: environment, path translation, image folder, working directory.</summary>
internal sealed record LaunchContext(
    IReadOnlyDictionary<string, string> Environment,
    PathTranslator Translator,
    string? ImageDirectory,
    string WorkingDirectory,
    string TerminationMessageFile);

/// <summary>An image the local image map cannot provide (kube's ErrImagePull / ErrImageNeverPull waiting reasons).</summary>
internal sealed class ImageUnavailableException(string reason, string message) : Exception(message)
{
    public string Reason { get; } = reason;
}

/// <summary>A container's program cannot be started (kube's StartError: exit code 128).</summary>
internal sealed class StartErrorException(string message) : InvalidOperationException(message);
