using k8s.Models;
using Nestor.Local.Controllers.Deployments;
using Nestor.Local.Controllers.Jobs;
using Nestor.Local.Node.Env;
using Nestor.Local.Node.Images;
using Nestor.Local.Node.Volumes;

namespace Nestor.Local.Tests;

/// <summary>The pure pieces: $(VAR) expansion, path translation, image references, index sets, rollout steps.</summary>
public sealed class PureLogicTests
{
    [Theory]
    [InlineData("$(A)-$(B)", "1-2")]
    [InlineData("$(MISSING)", "$(MISSING)")]
    [InlineData("$$(A)", "$(A)")]
    [InlineData("cost $5 $", "cost $5 $")]
    [InlineData("$(A", "$(A")]
    [InlineData("x$(A)$(A)y", "x11y")]
    public void VariablesExpandAsKubernetesDoes(string input, string expected) =>
        Assert.Equal(expected, VarExpansion.Expand(input, new Dictionary<string, string> { ["A"] = "1", ["B"] = "2" }));

    [Theory]
    [InlineData("/weights", "/local/w")]
    [InlineData("/weights/model.safetensors", "/local/w/model.safetensors")]
    [InlineData("--checkpoint=/weights/a", "--checkpoint=/local/w/a")]
    [InlineData("/weights2", "/weights2")]
    [InlineData("x/weights", "x/weights")]
    [InlineData("/data/cache/x", "/local/c/x")]
    [InlineData("/data/y", "/local/d/y")]
    [InlineData("/dev/termination-log", "/local/t")]
    public void MountPathsAreRewrittenOnlyWhereTheyStartAPath(string input, string expected)
    {
        var translator = new PathTranslator([
            new PathMapping("/weights/", "/local/w", true),
            new PathMapping("/data", "/local/d", false),
            new PathMapping("/data/cache", "/local/c", false),
            new PathMapping("/dev/termination-log", "/local/t", false),
        ]);
        Assert.Equal(expected, translator.Translate(input));
    }

    [Theory]
    [InlineData("nestor-runtime", "nestor-runtime")]
    [InlineData("ghcr.io/acme/nestor-runtime:0.1.0-cpu", "ghcr.io/acme/nestor-runtime")]
    [InlineData("localhost:5000/nestor-runtime@sha256:abc", "localhost:5000/nestor-runtime")]
    [InlineData("localhost:5000/nestor-runtime", "localhost:5000/nestor-runtime")]
    public void ImageRepositoryDropsTagAndDigest(string image, string repository) => Assert.Equal(repository, ImageMap.Repository(image));

    [Fact]
    public void ImageMapMatchesByRepositorySuffixAndLaterEntriesWin()
    {
        var map = ImageMap.Defaults("/repo").Add("nestor-runtime", new LocalImage("/elsewhere", ["nestor"], []));
        Assert.Equal("/elsewhere", map.Resolve("ghcr.io/acme/nestor-runtime:0.1.0-cpu")!.Directory);
        Assert.Equal(Path.Combine("/repo", "operator", "Nestor.Operator", "bin", "Debug", "net10.0"), map.Resolve("nestor-operator:0.1.0")!.Directory);
        Assert.Null(map.Resolve("my-nestor-runtime:1"));
        Assert.Null(map.Resolve("registry.example/other:1"));
        var (repository, image) = ImageMap.ParseOption("python=host:python3 -u");
        Assert.Equal("python", repository);
        Assert.Null(image.Directory);
        Assert.Equal(["python3", "-u"], image.Entrypoint);
        Assert.Throws<FormatException>(() => ImageMap.ParseOption("no-equals-sign"));
    }

    [Fact]
    public void IndexSetsRoundTripInKubesCompressedForm()
    {
        Assert.Equal("0,2-4,7", IndexSet.Format([7, 3, 0, 2, 4, 3]));
        Assert.Equal([0, 2, 3, 4, 7], IndexSet.Parse("0,2-4,7"));
        Assert.Equal("", IndexSet.Format([]));
        Assert.Empty(IndexSet.Parse(null));
    }

    [Fact]
    public void RollingUpdateSurgesFirstThenRemovesOldPodsOnlyWhileAvailabilityHolds()
    {
        var now = DateTime.UtcNow;
        var deployment = new V1Deployment { Metadata = new V1ObjectMeta { Name = "d" }, Spec = new V1DeploymentSpec { Replicas = 4 } };
        var old = Enumerable.Range(0, 4).Select(i => ReadyPod($"old-{i}", now.AddMinutes(-5))).ToList();

        // 25% of 4: surge 1, unavailable 1. First step: one new pod.
        var first = RolloutPlanner.Plan(deployment, [], old, 0, now);
        Assert.Equal(1, first.Create);
        Assert.Empty(first.Delete);

        // The new pod is not ready: one old pod may go (4 - 1 unavailable = 3 must stay available).
        var fresh = new V1Pod { Metadata = new V1ObjectMeta { Name = "new-0", CreationTimestamp = now }, Status = new V1PodStatus { Phase = "Running" } };
        var second = RolloutPlanner.Plan(deployment, [fresh], old, 0, now);
        Assert.Equal(0, second.Create);
        Assert.Single(second.Delete);

        // Two new pods not ready, three old ready: no room to surge, and removing an old pod would leave 2 < 3 available.
        var fresh2 = new V1Pod { Metadata = new V1ObjectMeta { Name = "new-1", CreationTimestamp = now }, Status = new V1PodStatus { Phase = "Running" } };
        Assert.True(RolloutPlanner.Plan(deployment, [fresh, fresh2], old.Take(3).ToList(), 0, now).IsEmpty);

        // Once the new pods are ready, old ones go down to the availability floor.
        var fourth = RolloutPlanner.Plan(deployment, [ReadyPod("new-0", now.AddMinutes(-1)), ReadyPod("new-1", now.AddMinutes(-1))], old.Take(3).ToList(), 0, now);
        Assert.Equal(2, fourth.Delete.Count);
    }

    private static V1Pod ReadyPod(string name, DateTime since) => new()
    {
        Metadata = new V1ObjectMeta { Name = name, CreationTimestamp = since },
        Status = new V1PodStatus { Phase = "Running", Conditions = [new V1PodCondition { Type = "Ready", Status = "True", LastTransitionTime = since }] },
    };
}
