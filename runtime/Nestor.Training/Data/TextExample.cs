namespace Nestor.Training.Data;

/// <summary>
/// One training or evaluation example. Loss is taken on <see cref="Completion"/> (and the end-of-sequence token);
/// a plain-text example has an empty <see cref="Prompt"/>. <see cref="Answer"/> is what exact-match accuracy compares
/// (null: the whole completion).
/// </summary>
public sealed record TextExample(string Prompt, string Completion, string? Answer = null);
