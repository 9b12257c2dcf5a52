namespace Nestor.Serving.Engine;

/// <summary>
/// What the scheduler needs from a model: a slot per sequence and one batched forward pass per budget. Logits come
/// back as one row of <see cref="VocabSize"/> floats per sequence. Called from one thread only (the scheduler's).
/// </summary>
public interface IModelEngine : IDisposable
{
    /// <summary>The manifest's model name (the OpenAI model id's base).</summary>
    string ModelName { get; }

    /// <summary>The budgets this engine serves, largest first.</summary>
    IReadOnlyList<string> Budgets { get; }

    int VocabSize { get; }

    int MaxSequenceLength { get; }

    int AllocateSlot(string budget);

    void ReleaseSlot(int slot);

    /// <summary>
    /// Moves the sequence in slot <paramref name="from"/> (its whole cache) to the free slot <paramref name="to"/> of the
    /// same budget, so that a budget's running sequences keep consecutive slots; false when this engine does not move
    /// slots (the default), and then nothing changed.
    /// </summary>
    bool MoveSlot(int from, int to) => false;

    /// <summary>Appends each prompt to its (fresh) slot; returns the logits after each prompt's last token.</summary>
    float[][] Prefill(string budget, IReadOnlyList<int> slots, IReadOnlyList<IReadOnlyList<long>> prompts);

    /// <summary>Advances each slot by one token; returns the next-token logits.</summary>
    float[][] Decode(string budget, IReadOnlyList<int> slots, IReadOnlyList<long> tokens);

    /// <summary>Called when no work came for a while: a chance to give memory back.</summary>
    void Idle()
    {
    }
}
