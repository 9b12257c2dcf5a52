using Nestor.Api.Crds;
using Nestor.CrdGen;
using Nestor.Testing;

namespace Nestor.Api.Tests;

/// <summary>The committed crds/ and docs/crd-reference.md are exactly what the generator writes; the CLI behind `make crds`.</summary>
public sealed class GeneratedFilesTests : IDisposable
{
    private readonly string temporary = Directory.CreateTempSubdirectory("nestor-crdgen-").FullName;

    public void Dispose() => Directory.Delete(temporary, recursive: true);

    [Fact]
    public void CommittedCrdsAndReferenceMatchTheTypes()
    {
        var stale = CrdArtifacts.All()
            .Where(f => !File.Exists(RepoPaths.Combine(f.Path)) || File.ReadAllText(RepoPaths.Combine(f.Path)) != f.Content)
            .Select(f => f.Path)
            .ToList();
        Assert.True(stale.Count == 0,
            $"These generated files differ from what the C# types in operator/Nestor.Api produce: {string.Join(", ", stale)}. Run `make crds` and commit the result.");
    }

    [Fact]
    public void NoCrdFileWithoutAType()
    {
        var expected = CrdArtifacts.All().Select(f => Path.GetFileName(f.Path)).ToHashSet();
        var extra = Directory.EnumerateFiles(RepoPaths.Combine("crds"), "*.yaml").Select(Path.GetFileName).Where(f => !expected.Contains(f!)).ToList();
        Assert.True(extra.Count == 0, $"crds/ has files no type generates: {string.Join(", ", extra)}. Run `make crds`.");
    }

    [Fact]
    public void CliWritesChecksCopiesAndRemovesStaleCrds()
    {
        var (code, output, _) = Run("--root", temporary, "--copy-crds-to", "charts/nestor/crds");
        Assert.Equal(0, code);
        foreach (var (path, content) in CrdArtifacts.All())
        {
            Assert.Equal(content, File.ReadAllText(Path.Combine(temporary, path)));
            Assert.Contains($"wrote     {path}", output, StringComparison.Ordinal);
        }

        Assert.Equal(3, Directory.GetFiles(Path.Combine(temporary, "charts/nestor/crds")).Length);
        Assert.Equal(0, Run("--root", temporary, "--check").Code);

        File.AppendAllText(Path.Combine(temporary, "crds/budgettiers.nestor.dev.yaml"), "# edited by hand\n");
        File.WriteAllText(Path.Combine(temporary, "crds/oldkinds.nestor.dev.yaml"), "kind: CustomResourceDefinition\n");
        var (checkCode, _, checkError) = Run("--root", temporary, "--check");
        Assert.Equal(1, checkCode);
        Assert.Contains("crds/budgettiers.nestor.dev.yaml", checkError, StringComparison.Ordinal);
        Assert.Contains("make crds", checkError, StringComparison.Ordinal);

        var (again, againOutput, _) = Run("--root", temporary);
        Assert.Equal(0, again);
        Assert.Contains("unchanged crds/elasticmodels.nestor.dev.yaml", againOutput, StringComparison.Ordinal);
        Assert.Contains("removed   crds/oldkinds.nestor.dev.yaml", againOutput, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(temporary, "crds/oldkinds.nestor.dev.yaml")));
        Assert.Equal(0, Run("--root", temporary, "--check").Code);
    }

    [Fact]
    public void GenerationIsDeterministic()
    {
        var first = CrdArtifacts.All();
        var second = CrdArtifacts.All();
        Assert.Equal(first, second);
    }

    private static (int Code, string Output, string Error) Run(params string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        var code = CrdGenCommand.Create(output, error).Parse(args).Invoke();
        return (code, output.ToString(), error.ToString());
    }
}
