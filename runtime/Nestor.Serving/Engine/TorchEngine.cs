using Nestor.Checkpoint;
using Nestor.Kernels;
using static TorchSharp.torch;

namespace Nestor.Serving.Engine;

/// <summary>
/// The engine over Nestor.Kernels: one model holding every served budget over one copy of the weights (or one budget
/// loaded alone), and one slot cache covering all budgets (<paramref name="slotsPerBudget"/> slots per budget).
/// </summary>
public sealed class TorchEngine : IModelEngine
{
    private readonly NemotronHForCausalLM _model;
    private readonly InferenceCache _cache;
    private readonly IDisposable _inferenceMode;
    private readonly StepThreads? _threads;
    private readonly Dictionary<string, long> _parameters;
    private readonly int _slotsPerBudget;
    private readonly Dictionary<string, int> _budgetIndex;

    private TorchEngine(NemotronHForCausalLM model, IReadOnlyList<string> budgets, int slotsPerBudget, int maxSequenceLength, StepThreads? threads)
    {
        _model = model;
        Budgets = budgets;
        _threads = threads;
        _parameters = model.Manifest.Budgets.ToDictionary(b => b.Name, b => b.Params);
        _slotsPerBudget = slotsPerBudget;
        _budgetIndex = budgets.Select((b, i) => (b, i)).ToDictionary(p => p.b, p => p.i, StringComparer.Ordinal);
        _cache = model.CreateCache(slotsPerBudget * budgets.Count, maxSequenceLength);
        _inferenceMode = inference_mode();
    }

    public string ModelName => _model.Manifest.Name;

    public IReadOnlyList<string> Budgets { get; }

    public int VocabSize => _model.Config.VocabSize;

    public int MaxSequenceLength => _cache.MaxSequenceLength;

    /// <summary>Bytes held by the slot cache.</summary>
    public long CacheBytes => _cache.Bytes;

    /// <summary>
    /// Loads <paramref name="checkpoint"/> for <paramref name="budgets"/> (a subset of its manifest, largest first). With
    /// <paramref name="loadOnly"/> only that budget's slice is read. With <paramref name="threads"/> each step sets its
    /// intra-op thread count by its size. Must be called on the thread that will drive it.
    /// </summary>
    public static TorchEngine Load(CheckpointDirectory checkpoint, IReadOnlyList<string> budgets, string? loadOnly, int slotsPerBudget, int maxSequenceLength,
        StepThreads? threads = null)
    {
        var model = NemotronHForCausalLM.Load(checkpoint, loadOnly);
        return new TorchEngine(model, budgets, slotsPerBudget, maxSequenceLength, threads);
    }

    /// <summary>The lowest free slot of the budget's own block (budget i holds slots i·S to i·S + S − 1).</summary>
    public int AllocateSlot(string budget)
    {
        if (!_budgetIndex.TryGetValue(budget, out int index))
        {
            throw new ArgumentException($"budget '{budget}' is not served by this engine", nameof(budget));
        }

        return _cache.Allocate(budget, index * _slotsPerBudget, _slotsPerBudget);
    }

    public void ReleaseSlot(int slot) => _cache.Release(slot);

    public bool MoveSlot(int from, int to)
    {
        _cache.Move(from, to);
        return true;
    }

    public float[][] Prefill(string budget, IReadOnlyList<int> slots, IReadOnlyList<IReadOnlyList<long>> prompts)
    {
        _threads?.Before(prompts.Sum(p => p.Count), _parameters[budget]);
        using var logits = _model.Prefill(budget, _cache, slots, prompts);
        return Rows(logits);
    }

    public float[][] Decode(string budget, IReadOnlyList<int> slots, IReadOnlyList<long> tokens)
    {
        _threads?.Before(tokens.Count, _parameters[budget]);
        using var logits = _model.Decode(budget, _cache, slots, tokens);
        return Rows(logits);
    }

    /// <summary>Gives the heap's free pages (the last steps' temporaries) back to the system.</summary>
    public void Idle() => GlibcMalloc.Trim();

    private static float[][] Rows(Tensor logits)
    {
        using var host = logits.to(ScalarType.Float32).cpu();
        var flat = host.data<float>().ToArray();
        int rows = (int)logits.shape[0], vocab = (int)logits.shape[1];
        var result = new float[rows][];
        for (int i = 0; i < rows; i++)
        {
            result[i] = flat.AsSpan(i * vocab, vocab).ToArray();
        }

        return result;
    }

    public void Dispose()
    {
        _cache.Dispose();
        _model.Dispose();
        _inferenceMode.Dispose();
    }
}
