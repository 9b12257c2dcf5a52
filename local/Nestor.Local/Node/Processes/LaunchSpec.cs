namespace Nestor.Local.Node.Processes;

/// <summary>Everything needed to start one container run as a local process, already expanded and translated.</summary>
public sealed record LaunchSpec(
    string Executable,
    IReadOnlyList<string> Arguments,
    IReadOnlyDictionary<string, string> Environment,
    string WorkingDirectory,
    string LogFile,
    IReadOnlyList<string> ReadOnlyDirectories);
