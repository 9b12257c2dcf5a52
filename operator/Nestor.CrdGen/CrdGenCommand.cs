using System.CommandLine;
using Nestor.Api.Crds;

namespace Nestor.CrdGen;

/// <summary>
/// The command line of the generator: writes (or, with --check, compares) the CRDs and the CRD
/// reference under a repository root.
/// </summary>
public static class CrdGenCommand
{
    public static RootCommand Create(TextWriter? output = null, TextWriter? error = null)
    {
        output ??= Console.Out;
        error ??= Console.Error;
        var root = new Option<DirectoryInfo>("--root")
        {
            Description = "The repository root the paths are relative to.",
            DefaultValueFactory = _ => new DirectoryInfo(Directory.GetCurrentDirectory()),
        };
        var copies = new Option<string[]>("--copy-crds-to")
        {
            Description = "More folders (relative to the root) that get an identical copy of crds/, such as a Helm chart's crds/.",
            AllowMultipleArgumentsPerToken = true,
        };
        var check = new Option<bool>("--check")
        {
            Description = "Write nothing; exit 1 and name the files that differ from what the generator writes.",
        };
        var command = new RootCommand("Generates crds/*.yaml and docs/crd-reference.md from the nestor.dev types.") { root, copies, check };
        command.SetAction(result =>
        {
            var files = Expand(CrdArtifacts.All(), result.GetValue(copies) ?? []);
            var rootPath = result.GetValue(root)!.FullName;
            return result.GetValue(check) ? Check(rootPath, files, output, error) : Write(rootPath, files, output);
        });
        return command;
    }

    private static List<(string Path, string Content)> Expand(IReadOnlyList<(string Path, string Content)> files, string[] copies)
    {
        var all = files.ToList();
        foreach (var folder in copies)
        {
            all.AddRange(files
                .Where(f => f.Path.StartsWith(CrdArtifacts.CrdDirectory + "/", StringComparison.Ordinal))
                .Select(f => (Path.Combine(folder, Path.GetFileName(f.Path)), f.Content)));
        }

        return all;
    }

    private static int Write(string root, List<(string Path, string Content)> files, TextWriter output)
    {
        foreach (var (path, content) in files)
        {
            var full = Path.Combine(root, path);
            Directory.CreateDirectory(Path.GetDirectoryName(full)!);
            var changed = !File.Exists(full) || File.ReadAllText(full) != content;
            if (changed)
            {
                // Write beside and rename, so an interrupted run never leaves half a CRD.
                var temporary = full + ".tmp";
                File.WriteAllText(temporary, content);
                File.Move(temporary, full, overwrite: true);
            }

            output.WriteLine($"{(changed ? "wrote    " : "unchanged")} {path}");
        }

        foreach (var folder in files.Select(f => Path.GetDirectoryName(f.Path)!).Where(d => d.Length > 0 && d != "docs").Distinct())
        {
            var expected = files.Select(f => Path.GetFullPath(Path.Combine(root, f.Path))).ToHashSet();
            foreach (var stale in Directory.EnumerateFiles(Path.Combine(root, folder), "*.nestor.dev.yaml").Where(f => !expected.Contains(Path.GetFullPath(f))))
            {
                File.Delete(stale);
                output.WriteLine($"removed   {Path.GetRelativePath(root, stale)}");
            }
        }

        return 0;
    }

    private static int Check(string root, List<(string Path, string Content)> files, TextWriter output, TextWriter error)
    {
        var stale = files
            .Where(f => !File.Exists(Path.Combine(root, f.Path)) || File.ReadAllText(Path.Combine(root, f.Path)) != f.Content)
            .Select(f => f.Path)
            .ToList();
        if (stale.Count == 0)
        {
            output.WriteLine($"{files.Count} generated files are up to date.");
            return 0;
        }

        error.WriteLine($"Out of date (run `make crds`): {string.Join(", ", stale)}");
        return 1;
    }
}
