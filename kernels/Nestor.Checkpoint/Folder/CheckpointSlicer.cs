using Nestor.Checkpoint.Safetensors;

namespace Nestor.Checkpoint;

/// <summary>
/// Writes one budget of an elastic checkpoint as a standalone, ordinary NemotronH checkpoint: config.json with the
/// budget's sizes and the kept layers' pattern (renumbered from 0), safetensors with Hugging Face names holding only
/// the kept rows and columns (read by partial reads, never materialising a full tensor), and the tokenizer files if any.
/// No elastic.json: the result loads as a plain model, in Nestor and in Hugging Face transformers.
/// </summary>
public static class CheckpointSlicer
{
    /// <summary>
    /// Writes the budget into <paramref name="outputFolder"/> (created if needed; typically a staging folder that the
    /// caller then publishes with <see cref="CheckpointPublisher.Publish"/>). Returns the slice plan used.
    /// </summary>
    public static SlicePlan WriteBudget(CheckpointDirectory source, string budgetName, string outputFolder,
        long maxShardBytes = SafetensorsWriter.DefaultMaxShardBytes)
    {
        var budget = source.Manifest.Get(budgetName);
        var plan = SlicePlan.Create(source.Config, budget);
        Directory.CreateDirectory(outputFolder);
        var dtype = source.Config.DType;
        var tensors = plan.Tensors.Select(slice => new TensorToWrite(slice.TargetName, dtype, slice.TargetShape,
            stream => source.Weights.WriteRangesTo(slice.SourceName, slice.Axes, stream))).ToList();
        SafetensorsWriter.WriteCheckpoint(outputFolder, tensors, maxShardBytes);
        plan.Sliced.Save(Path.Combine(outputFolder, NemotronHConfig.FileName));
        CheckpointDirectory.CopyTokenizerFiles(source.Path, outputFolder);

        return plan;
    }
}
