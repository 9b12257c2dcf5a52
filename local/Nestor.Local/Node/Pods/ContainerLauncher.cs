using k8s.Models;
using Nestor.Local.Cluster;
using Nestor.Local.Node.Env;
using Nestor.Local.Node.Images;
using Nestor.Local.Node.Processes;
using Nestor.Local.Node.Volumes;

namespace Nestor.Local.Node.Pods;

/// <summary>
/// Turns a container spec into a local command line: the image through the image map (its folder,
/// ENTRYPOINT, CMD, ENV), command and args with $(VAR) expansion, the environment as the kubelet
/// builds it, and every mount path rewritten to its local directory (<see cref="PathTranslator"/>).
/// terminationMessagePath maps to a file in the container's folder.
/// </summary>
internal sealed class ContainerLauncher(ImageMap images, EnvironmentResolver resolver, NodeAgentOptions options, ClusterLayout layout)
{
    public const string DefaultTerminationMessagePath = "/dev/termination-log";

    public static string ContainerDirectory(string podDirectory, string container) => Path.Combine(podDirectory, "containers", container);

    public async Task<(LaunchSpec Spec, LaunchContext Context)> BuildAsync(V1Pod pod, ContainerRun run, string podDirectory,
        IReadOnlyDictionary<string, PreparedVolume> volumes, PodRuntimeFacts facts, CancellationToken cancellationToken)
    {
        var container = run.Spec;
        var image = images.Resolve(container.Image ?? "")
            ?? throw new ImageUnavailableException("ErrImageNeverPull", $"image \"{container.Image}\" is not in the local image map (add one: nestor-local --image REPOSITORY=DIRECTORY[:ENTRYPOINT])");
        if (image.Directory is not null && !Directory.Exists(image.Directory))
        {
            throw new ImageUnavailableException("ErrImagePull",
                $"the local folder {image.Directory} of image \"{container.Image}\" does not exist" + (image.BuildHint is { } hint ? $"; build it: {hint}" : ""));
        }

        var containerDirectory = ContainerDirectory(podDirectory, container.Name);
        var terminationFile = Path.Combine(containerDirectory, "termination-log");
        var mappings = PodVolumes.Mounts(container, volumes).ToList();
        mappings.Add(new PathMapping(string.IsNullOrEmpty(container.TerminationMessagePath) ? DefaultTerminationMessagePath : container.TerminationMessagePath, terminationFile, false));
        if (image.Directory is not null && image.AppPath is { Length: > 1 } appPath)
        {
            mappings.Insert(0, new PathMapping(appPath, image.Directory, false)); // a volume mounted at the same path wins
        }

        var translator = new PathTranslator(mappings);

        var resolved = await resolver.ResolveAsync(pod, container, facts, cancellationToken);
        var environment = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var name in options.PassThroughEnvironment)
        {
            if (System.Environment.GetEnvironmentVariable(name) is { } value)
            {
                environment[name] = value;
            }
        }

        environment["HOSTNAME"] = string.IsNullOrEmpty(pod.Spec.Hostname) ? pod.Metadata.Name : pod.Spec.Hostname;
        foreach (var (name, value) in options.ExtraEnvironment.Concat(image.Env))
        {
            environment[name] = value;
        }

        foreach (var (name, value) in resolved)
        {
            environment[name] = translator.Translate(value);
        }

        var command = container.Command is { Count: > 0 } c ? c.ToList() : image.Entrypoint.ToList();
        var args = container.Args is { } a ? a.ToList() : container.Command is { Count: > 0 } ? [] : image.Cmd.ToList();
        var argv = command.Concat(args).Select(x => translator.Translate(VarExpansion.Expand(x, resolved))).ToList();
        if (argv.Count == 0)
        {
            throw new StartErrorException($"no command specified for container \"{container.Name}\" and image \"{container.Image}\" has no entrypoint in the image map");
        }

        var workingDirectory = string.IsNullOrEmpty(container.WorkingDir)
            ? Path.Combine(containerDirectory, "work")
            : translator.ToHost(container.WorkingDir) ?? container.WorkingDir;
        var executable = ResolveExecutable(argv[0], image.Directory, workingDirectory);
        var readOnly = mappings.Where(m => m.ReadOnly && Directory.Exists(m.HostPath)).Select(m => Path.GetFullPath(m.HostPath)).Distinct().ToList();
        var log = layout.ContainerLog(pod.Metadata.NamespaceProperty, pod.Metadata.Name, pod.Metadata.Uid, container.Name, run.Runs);
        var context = new LaunchContext(environment, translator, image.Directory, workingDirectory, terminationFile);
        return (new LaunchSpec(executable, argv.Skip(1).ToList(), environment, workingDirectory, log, readOnly), context);
    }

    /// <summary>A command name is looked up in the image's folder first, then on the host's PATH; a path is used as it is.</summary>
    public static string ResolveExecutable(string name, string? imageDirectory, string workingDirectory)
    {
        if (name.Contains('/', StringComparison.Ordinal))
        {
            var path = Path.IsPathRooted(name) ? name : Path.GetFullPath(Path.Combine(workingDirectory, name));
            return File.Exists(path) ? path : throw new StartErrorException($"exec: \"{name}\": stat {path}: no such file or directory");
        }

        if (imageDirectory is not null && File.Exists(Path.Combine(imageDirectory, name)))
        {
            return Path.Combine(imageDirectory, name);
        }

        return HostTools.Find(name) ?? throw new StartErrorException($"exec: \"{name}\": executable file not found in $PATH"
            + (imageDirectory is null ? "" : $" or in the image folder {imageDirectory}"));
    }
}
