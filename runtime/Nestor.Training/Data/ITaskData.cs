namespace Nestor.Training.Data;

/// <summary>Which examples a training stage (or an evaluation split) draws: short ones, long ones, or every length.</summary>
public enum ExampleLength
{
    Short,
    Long,
    Mixed,
}

/// <summary>A dataset with train, validation and test splits fixed by seed.</summary>
public interface ITaskData
{
    /// <summary>The task's name as eval.json records it.</summary>
    string Name { get; }

    /// <summary>Draws one training example (never one of the validation or test examples for a built-in task).</summary>
    TextExample NextTrain(Random random, ExampleLength length);

    IReadOnlyList<TextExample> Validation { get; }

    IReadOnlyList<TextExample> Test { get; }
}
