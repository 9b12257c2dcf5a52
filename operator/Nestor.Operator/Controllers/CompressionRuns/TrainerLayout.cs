using Nestor.Api.V1Alpha1;

namespace Nestor.Operator.Controllers.CompressionRuns;

/// <summary>
/// Where a run's volumes are mounted in the trainer pod and where it reads and writes: the output
/// volume at its mount path (the target model's, else /weights), any other claim the run names at
/// /volumes/&lt;claim&gt;; the checkpoint published under OutputDir, the resumable state in WorkDir.
/// </summary>
public sealed record TrainerLayout(string OutputClaim, string OutputMount, string OutputDir, string WorkDir, IReadOnlyDictionary<string, string> Mounts)
{
    public static TrainerLayout For(CompressionRun run, ElasticModel? target)
    {
        var spec = run.Spec;
        string claim, mount, output;
        if (spec.Output.ElasticModelRef is { } modelRef)
        {
            claim = target?.Status?.ClaimName ?? target?.Spec.WeightVolume.ClaimName ?? $"{modelRef.Name}-weights";
            mount = (target?.Spec.WeightVolume.MountPath ?? WeightVolume.DefaultMountPath).TrimEnd('/');
            output = $"{mount}/checkpoints/{modelRef.Name}";
        }
        else
        {
            var volume = spec.Output.Volume!;
            claim = volume.ClaimName;
            mount = WeightVolume.DefaultMountPath;
            output = $"{mount}/{volume.Path.Trim('/')}";
        }

        var mounts = new Dictionary<string, string> { [claim] = mount };
        foreach (var other in new[] { spec.ParentModel.Checkpoint?.ClaimName, spec.Dataset.Volume?.ClaimName, spec.Distillation?.Teacher?.Checkpoint?.ClaimName })
        {
            if (other is not null && !mounts.ContainsKey(other))
            {
                mounts[other] = $"/volumes/{other}";
            }
        }

        return new TrainerLayout(claim, mount, output, $"{mount}/runs/{run.Metadata.NamespaceProperty}.{run.Metadata.Name}", mounts);
    }
}
