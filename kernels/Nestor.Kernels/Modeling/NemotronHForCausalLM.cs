using Nestor.Checkpoint;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Nestor.Kernels;

/// <summary>
/// The NemotronH causal language model with nested elastic budgets: embeddings → layers (Mamba-2, attention, MLP,
/// each <c>h + mixer(RMSNorm(h))</c>) → norm_f → lm_head.
/// </summary>
/// <remarks>
/// <para>Two ways to run a budget, which agree to 1e-4 in fp32: <b>masked</b> (<see cref="Forward(Tensor, ElasticMasks?)"/>,
/// full weights, activations multiplied by masks that may be soft and require grad: the trainer's path) and
/// <b>sliced</b> (<see cref="Forward(Tensor, BudgetView, ElasticMasks?)"/> with a <see cref="BudgetView"/>: prefix views
/// of the parameters, computing only what the budget keeps: the server's path, see also <see cref="Prefill"/> and
/// <see cref="Decode"/>).</para>
/// <para>Parameters are held in Nestor's execution layout (see <see cref="Mamba2Mixer"/>), in which every budget is a
/// prefix of every tensor; <see cref="LoadHfTensors"/> and <see cref="ExportHfTensors"/> convert from and to
/// Hugging Face names and layout.</para>
/// </remarks>
public sealed partial class NemotronHForCausalLM : nn.Module
{
#pragma warning disable IDE1006 // module names follow the checkpoint's
    private readonly Parameter embeddings;  // [V, d]
    private readonly ModuleList<NemotronHBlock> layers;
    private readonly RmsNorm norm_f;
    private readonly Parameter lm_head;     // [V, d]
#pragma warning restore IDE1006

    private readonly Dictionary<string, BudgetView> _prepared = new(StringComparer.Ordinal);
    private readonly object _prepareLock = new();

    private NemotronHForCausalLM(NemotronHConfig config, ElasticManifest manifest, bool isElastic, ScalarType dtype, Device device)
        : base("NemotronHForCausalLM")
    {
        Config = config;
        Manifest = manifest;
        IsElastic = isElastic;
        DType = dtype;
        Device = device;
        embeddings = nn.Parameter(empty(config.VocabSize, config.HiddenSize, dtype, device));
        layers = nn.ModuleList([.. Enumerable.Range(0, config.NumHiddenLayers).Select(i => new NemotronHBlock($"{i}", config, i, dtype, device))]);
        norm_f = new RmsNorm("norm_f", config.HiddenSize, config.LayerNormEpsilon, dtype, device);
        lm_head = nn.Parameter(empty(config.VocabSize, config.HiddenSize, dtype, device));
        RegisterComponents();
        Active = null!;
    }

    /// <summary>The config of the stored (largest) model.</summary>
    public NemotronHConfig Config { get; }

    /// <summary>The budgets this model serves (a plain model: one budget <c>full</c>).</summary>
    public ElasticManifest Manifest { get; }

    /// <summary>True when the model came from (or will be saved with) an elastic.json.</summary>
    public bool IsElastic { get; }

    public ScalarType DType { get; }

    public Device Device { get; }

    public IReadOnlyList<NemotronHBlock> Layers => [.. layers];

    public Parameter Embeddings => embeddings;

    public RmsNorm NormF => norm_f;

    public Parameter LmHead => lm_head;

    /// <summary>The budget <see cref="Activate"/> selected last (initially the default budget once prepared).</summary>
    public BudgetView Active { get; private set; }

    /// <summary>
    /// A model with freshly initialised weights (Hugging Face's NemotronH initialisation). A null manifest makes a
    /// plain model with the single budget <c>full</c>.
    /// </summary>
    public static NemotronHForCausalLM Create(NemotronHConfig config, ElasticManifest? manifest = null, ulong seed = 0,
        ScalarType? dtype = null, Device? device = null)
    {
        var model = new NemotronHForCausalLM(config, manifest ?? ElasticManifest.ForPlainModel(config, "model"), manifest is not null,
            dtype ?? TensorIO.ToScalarType(config.DType), device ?? CPU);
        model.Initialize(seed);
        return model;
    }

    /// <summary>
    /// Fresh views of a budget's weights. By default they carry gradients to the parameters (training a sliced
    /// budget); <paramref name="detached"/> views alias the same storage without autograd (serving).
    /// </summary>
    public BudgetView View(ElasticBudget budget, bool detached = false)
    {
        if (ElasticManifest.CheckFits(budget, Config) is { } problem)
        {
            throw new ArgumentException($"budget '{budget.Name}' does not fit this model: {problem}", nameof(budget));
        }

        Tensor S(Tensor p) => Prefix.Source(p, detached);
        return new BudgetView(budget, Prefix.Of(S(embeddings), embeddings.shape[0], budget.HiddenSize),
            [.. budget.Layers.Select(i => layers[i].View(budget, detached))],
            Prefix.Of(S(norm_f.Weight), budget.HiddenSize), Prefix.Of(S(lm_head), lm_head.shape[0], budget.HiddenSize));
    }

    /// <summary>
    /// The prepared (cached) views of a manifest budget for serving: detached aliases of the parameters' storage,
    /// made once. Weight updates show through them, except in the compact copies of attention query heads cut within
    /// groups: call <see cref="InvalidatePreparedBudgets"/> after changing weights.
    /// </summary>
    public BudgetView Prepared(string budget)
    {
        lock (_prepareLock)
        {
            if (!_prepared.TryGetValue(budget, out var view))
            {
                view = View(Manifest.Get(budget), detached: true);
                _prepared[budget] = view;
            }

            return view;
        }
    }

    /// <summary>Prepares every budget of the manifest (what a server does at load) and activates the default.</summary>
    public void PrepareBudgets()
    {
        foreach (var budget in Manifest.Budgets)
        {
            Prepared(budget.Name);
        }

        Active = Prepared(Manifest.Default.Name);
    }

    /// <summary>Switches the active budget: a lookup of prepared views, no weights are copied.</summary>
    public BudgetView Activate(string budget)
    {
        Active = Prepared(budget);
        return Active;
    }

    /// <summary>Drops prepared views (call after changing weights: gathered attention views are copies).</summary>
    public void InvalidatePreparedBudgets()
    {
        lock (_prepareLock)
        {
            _prepared.Clear();
            Active = null!;
        }
    }

    /// <summary>Masked execution over the full weights: logits [b, L, V] for input ids [b, L].</summary>
    public Tensor Forward(Tensor inputIds, ElasticMasks? masks = null) => Forward(inputIds, View(ElasticBudget.Full(Config)), masks);

    /// <summary>Sliced execution of a manifest budget: logits [b, L, V].</summary>
    public Tensor Forward(Tensor inputIds, string budget) => Forward(inputIds, Prepared(budget));

    /// <summary>
    /// A whole batch of sequences through a budget's views, optionally masked: logits [b, L, V]. No cache.
    /// </summary>
    public Tensor Forward(Tensor inputIds, BudgetView view, ElasticMasks? masks = null)
    {
        masks?.Check(Config);
        using var scope = NewDisposeScope();
        var h = Hidden(inputIds, view, masks);
        return Linear.Apply(h, view.LmHead).MoveToOuterDisposeScope();
    }

    /// <summary>The final normed hidden states [b, L, d'] (before lm_head), e.g. for importance estimation.</summary>
    public Tensor Hidden(Tensor inputIds, BudgetView view, ElasticMasks? masks = null)
    {
        long batch = inputIds.shape[0], length = inputIds.shape[1];
        var hiddenMask = masks?.Hidden;
        var keptMass = hiddenMask?.sum();
        var h = view.Embeddings.index_select(0, inputIds.flatten()).view(batch, length, -1);
        if (hiddenMask is not null)
        {
            h = h * hiddenMask;
        }

        foreach (var layer in view.Layers)
        {
            var block = layers[layer.Layer];
            var x = RmsNorm.Normalize(h, layer.NormWeight, block.Norm.Eps, keptMass);
            var update = block.MixSequence(layer, x, masks, Config);
            if (hiddenMask is not null)
            {
                update = update * hiddenMask;
            }

            var gate = masks?.Layers?[layer.Layer];
            h = gate is null ? h + update : h + (gate * update);
        }

        return RmsNorm.Normalize(h, view.NormF, norm_f.Eps, keptMass);
    }

    private void Initialize(ulong seed)
    {
        using var noGrad = no_grad();
        var generator = new Generator(seed, CPU);
        double std = Config.Json["initializer_range"] is { } r ? PythonJson.AsDouble(r) ?? 0.02 : 0.02;
        double residualStd = std / Math.Sqrt(Config.NumHiddenLayers);
        Tensor Normal(Tensor like, double s) => randn(like.shape, generator: generator).mul_(s);

        embeddings.copy_(Normal(embeddings, std));
        lm_head.copy_(Normal(lm_head, std));
        norm_f.Weight.fill_(1.0);
        foreach (var block in layers)
        {
            block.Norm.Weight.fill_(1.0);
            var hf = new Dictionary<string, Tensor>(StringComparer.Ordinal);
            foreach (var spec in TensorLayout.LayerTensors(Config, block.Index).Skip(1))
            {
                var suffix = spec.Name[TensorLayout.Layer(block.Index, "mixer.").Length..];
                var shape = spec.Shape.ToArray();
                hf[suffix] = suffix switch
                {
                    "out_proj.weight" or "o_proj.weight" or "down_proj.weight" => randn(shape, generator: generator).mul_(residualStd),
                    "conv1d.weight" or "conv1d.bias" => rand(shape, generator: generator).mul_(2.0 / Math.Sqrt(Config.ConvKernel)).sub_(1.0 / Math.Sqrt(Config.ConvKernel)),
                    "A_log" => rand(shape, generator: generator).mul_(15).add_(1).log_(),            // A in [1, 16]
                    "D" or "norm.weight" => ones(shape),
                    // dt ~ log-uniform in [time_step_min, time_step_max]; dt_bias = softplus⁻¹(dt)
                    "dt_bias" => InverseSoftplus(rand(shape, generator: generator).mul_(Math.Log(0.1) - Math.Log(0.001)).add_(Math.Log(0.001)).exp_().clamp_min(1e-4)),
                    _ => randn(shape, generator: generator).mul_(std),
                };
            }

            LoadMixer(block, s => hf[s]);
        }
    }

    private static Tensor InverseSoftplus(Tensor dt) => dt + (-(-dt).expm1()).log();

    private static void LoadMixer(NemotronHBlock block, Func<string, Tensor> hf)
    {
        switch (block.Type)
        {
            case LayerType.Mamba:
                block.Mamba.LoadHf(hf);
                break;
            case LayerType.Attention:
                block.Attention.LoadHf(hf);
                break;
            default:
                using (no_grad())
                {
                    block.Mlp.UpProj.copy_(hf("up_proj.weight"));
                    block.Mlp.DownProj.copy_(hf("down_proj.weight"));
                }

                break;
        }
    }
}
