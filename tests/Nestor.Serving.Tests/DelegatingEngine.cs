using Nestor.Serving.Engine;

namespace Nestor.Serving.Tests;

/// <summary>An engine that passes every call to another; a test overrides the passes it watches or breaks.</summary>
internal abstract class DelegatingEngine(IModelEngine inner) : IModelEngine
{
    public string ModelName => inner.ModelName;

    public IReadOnlyList<string> Budgets => inner.Budgets;

    public int VocabSize => inner.VocabSize;

    public int MaxSequenceLength => inner.MaxSequenceLength;

    public int AllocateSlot(string budget) => inner.AllocateSlot(budget);

    public void ReleaseSlot(int slot) => inner.ReleaseSlot(slot);

    public virtual bool MoveSlot(int from, int to) => inner.MoveSlot(from, to);

    public virtual float[][] Prefill(string budget, IReadOnlyList<int> slots, IReadOnlyList<IReadOnlyList<long>> prompts) => inner.Prefill(budget, slots, prompts);

    public virtual float[][] Decode(string budget, IReadOnlyList<int> slots, IReadOnlyList<long> tokens) => inner.Decode(budget, slots, tokens);

    public virtual void Idle() => inner.Idle();

    public void Dispose() => inner.Dispose();
}
