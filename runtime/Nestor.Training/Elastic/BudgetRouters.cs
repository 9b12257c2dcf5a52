using Nestor.Checkpoint;
using Nestor.Kernels;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Nestor.Training.Elastic;

/// <summary>
/// One router per axis (paper: budget one-hot → Linear(n_budgets, hidden) → LeakyReLU → Linear(hidden, choices)).
/// A choice is drawn with Gumbel-softmax on logits / τ (τ annealed): the forward value is the hard one-hot of the argmax, the
/// gradient that of the soft sample (straight-through). Choices become prefix masks over the importance-sorted
/// weights, and a differentiable parameter count for the size loss.
/// </summary>
public sealed class BudgetRouters : nn.Module
{
    private readonly ModuleDict<Sequential> routers;
    private readonly SearchSpace _space;
    private readonly int _budgets;
    private readonly Dictionary<Axis, Tensor> _sizes = [];
    private readonly Dictionary<Axis, Tensor> _prefix = [];
    private readonly Tensor _layerKind;   // 0 Mamba, 1 attention, 2 MLP

    public BudgetRouters(SearchSpace space, int budgets, int hidden, IReadOnlyList<int> layerRanking, ulong seed) : base("routers")
    {
        _space = space;
        _budgets = budgets;
        var config = space.Config;
        using (var _ = NewDisposeScope())
        {
            torch.random.manual_seed((long)(seed & 0x7FFFFFFFFFFFFFFF));
        }

        routers = new ModuleDict<Sequential>();
        foreach (var axis in SearchSpace.Axes)
        {
            int choices = space.Choices[axis].Length;
            routers.Add(axis.ToString(), nn.Sequential(nn.Linear(budgets, hidden), nn.LeakyReLU(), nn.Linear(hidden, choices)));
            _sizes[axis] = tensor(space.Choices[axis].Select(c => (double)c).ToArray());
        }

        var rank = new int[config.NumHiddenLayers];
        for (int i = 0; i < layerRanking.Count; i++)
        {
            rank[layerRanking[i]] = i;
        }

        Tensor Prefix(int[] choices, int size, Func<int, int> position)
        {
            var values = new float[choices.Length * size];
            for (int c = 0; c < choices.Length; c++)
            {
                for (int j = 0; j < size; j++)
                {
                    values[(c * size) + j] = position(j) < choices[c] ? 1f : 0f;
                }
            }

            return tensor(values, [choices.Length, size]);
        }

        _prefix[Axis.Hidden] = Prefix(space.Choices[Axis.Hidden], config.HiddenSize, j => j);
        _prefix[Axis.Ffn] = Prefix(space.Choices[Axis.Ffn], config.IntermediateSize, j => j);
        _prefix[Axis.MambaHeads] = Prefix(space.Choices[Axis.MambaHeads], config.MambaHeadsPerGroup, j => j);
        _prefix[Axis.AttentionHeads] = Prefix(space.Choices[Axis.AttentionHeads], config.AttentionHeadsPerGroup, j => j);
        _prefix[Axis.Depth] = Prefix(space.Choices[Axis.Depth], config.NumHiddenLayers, j => rank[j]);
        _layerKind = tensor(config.LayerTypes.Select(t => t switch { LayerType.Mamba => 0f, LayerType.Attention => 1f, _ => 2f }).ToArray());
        RegisterComponents();
        if (FullParams(config) != ParameterCount.Of(config))
        {
            throw new InvalidOperationException("the router's parameter count disagrees with ParameterCount");
        }
    }

    /// <summary>A Gumbel-softmax straight-through choice per axis for a budget: one-hot forward values, soft gradients.</summary>
    public Dictionary<Axis, Tensor> Sample(int budget, double temperature, Generator? generator) =>
        Sample(budget, temperature, generator, scores => [.. scores.Select(ArgMax)]).Choice;

    /// <summary>
    /// A Gumbel-softmax straight-through choice on the logits divided by the temperature (so the hard choice is a
    /// draw from softmax(logits / τ): random early, nearly the argmax once τ has annealed), whose hard (forward) value is <paramref name="pick"/>'s decision over
    /// the perturbed logits (one array per axis, in <see cref="SearchSpace.Axes"/> order; the plain argmax per axis
    /// is the unconstrained choice), and whose gradient is the soft sample's.
    /// </summary>
    public (Dictionary<Axis, Tensor> Choice, int[] Index) Sample(int budget, double temperature, Generator? generator, Func<IReadOnlyList<float[]>, int[]> pick)
    {
        var onehot = OneHot(budget);
        var perturbed = new List<Tensor>();
        foreach (var axis in SearchSpace.Axes)
        {
            var logits = routers[axis.ToString()].call(onehot);
            var uniform = rand(logits.shape, generator: generator).clamp(1e-9, 1 - 1e-9);
            perturbed.Add((logits / temperature) - (-uniform.log()).log());
        }

        var index = pick([.. perturbed.Select(p => p.detach().data<float>().ToArray())]);
        var result = new Dictionary<Axis, Tensor>();
        for (int a = 0; a < SearchSpace.Axes.Length; a++)
        {
            var soft = nn.functional.softmax(perturbed[a], 0);
            var hard = nn.functional.one_hot(tensor((long)index[a]), soft.shape[0]).to_type(soft.dtype);
            result[SearchSpace.Axes[a]] = hard - soft.detach() + soft;
        }

        return (result, index);
    }

    /// <summary>The router's logits for a budget (no noise), one array per axis in <see cref="SearchSpace.Axes"/> order.</summary>
    public IReadOnlyList<float[]> Scores(int budget)
    {
        using var noGrad = no_grad();
        var onehot = OneHot(budget);
        return [.. SearchSpace.Axes.Select(a => routers[a.ToString()].call(onehot).data<float>().ToArray())];
    }

    /// <summary>The router's current choice (argmax, no noise) per axis, as sizes.</summary>
    public Dictionary<Axis, int> Choose(int budget)
    {
        var scores = Scores(budget);
        return SearchSpace.Axes.Select((a, i) => (a, _space.Choices[a][ArgMax(scores[i])])).ToDictionary(p => p.a, p => p.Item2);
    }

    private static int ArgMax(float[] values)
    {
        int best = 0;
        for (int i = 1; i < values.Length; i++)
        {
            if (values[i] > values[best])
            {
                best = i;
            }
        }

        return best;
    }

    /// <summary>The masks of a sampled choice (values 0/1, gradients to the routers).</summary>
    public ElasticMasks Masks(Dictionary<Axis, Tensor> choice)
    {
        Tensor M(Axis a) => choice[a].matmul(_prefix[a]);
        return new ElasticMasks
        {
            Hidden = M(Axis.Hidden),
            Ffn = M(Axis.Ffn),
            MambaHeads = M(Axis.MambaHeads),
            QueryHeads = M(Axis.AttentionHeads),
            Layers = M(Axis.Depth),
        };
    }

    /// <summary>
    /// The parameter count of a sampled choice as a differentiable function of the choice (the closed form of
    /// <see cref="ParameterCount"/>, with the sizes as tensors).
    /// </summary>
    public Tensor ParamsOf(Dictionary<Axis, Tensor> choice)
    {
        var c = _space.Config;
        Tensor Size(Axis a) => choice[a].to_type(ScalarType.Float64).dot(_sizes[a]);
        var d = Size(Axis.Hidden);
        var ffn = Size(Axis.Ffn);
        var k = Size(Axis.MambaHeads);
        var r = Size(Axis.AttentionHeads);
        var layers = choice[Axis.Depth].to_type(ScalarType.Float64).matmul(_prefix[Axis.Depth].to_type(ScalarType.Float64));
        double g = c.NGroups, p = c.MambaHeadDim, gn2 = 2.0 * c.NGroups * c.SsmStateSize, kernel = c.ConvKernel, hd = c.HeadDim, kv = c.NumKeyValueHeads;
        var heads = k * g;
        var inner = heads * p;
        var conv = inner + gn2;
        var mamba = ((inner + conv + heads) * d) + (conv * kernel) + (c.UseConvBias ? conv : zeros_like(conv)) + (3 * heads) + inner + (d * inner);
        var attention = (2 * kv * r * hd * d) + (2 * kv * hd * d);
        var mlp = 2 * ffn * d;
        var perLayer = stack([mamba, attention, mlp]).index_select(0, _layerKind.to_type(ScalarType.Int64)) + d;
        return (2.0 * c.VocabSize * d) + d + (layers * perLayer).sum();
    }

    private long FullParams(NemotronHConfig config)
    {
        using var noGrad = no_grad();
        var full = SearchSpace.Axes.ToDictionary(a => a, a =>
        {
            int n = _space.Choices[a].Length;
            var v = zeros(n);
            v[n - 1] = 1;
            return v;
        });
        return (long)Math.Round(ParamsOf(full).item<double>());
    }

    private Tensor OneHot(int budget)
    {
        var v = zeros(_budgets);
        v[budget] = 1;
        return v;
    }
}
