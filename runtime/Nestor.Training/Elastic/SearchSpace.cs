using Nestor.Checkpoint;

namespace Nestor.Training.Elastic;

/// <summary>The axes a router chooses along.</summary>
public enum Axis
{
    Hidden,
    Ffn,
    MambaHeads,
    AttentionHeads,
    Depth,
}

/// <summary>
/// The sizes each router may choose per axis (one value for every layer, as the checkpoint format requires):
/// embedding channels and FFN neurons in sixteenths of the stored size (down to a quarter and an eighth), Mamba
/// heads per group from 1, query heads per KV group from 1 (every KV head is kept; head_dim is never cut), and the
/// number of layers kept (a prefix of the importance ranking) from half the depth. Axes the model lacks (no MLP or
/// attention layer) have one choice.
/// </summary>
public sealed class SearchSpace
{
    public SearchSpace(NemotronHConfig config)
    {
        Config = config;
        bool hasMlp = config.LayerTypes.Contains(LayerType.Mlp), hasAttention = config.LayerTypes.Contains(LayerType.Attention);
        bool hasMamba = config.LayerTypes.Contains(LayerType.Mamba);
        Choices = new Dictionary<Axis, int[]>
        {
            [Axis.Hidden] = Fractions(config.HiddenSize, 4),
            [Axis.Ffn] = hasMlp ? Fractions(config.IntermediateSize, 2) : [config.IntermediateSize],
            [Axis.MambaHeads] = hasMamba ? [.. Enumerable.Range(1, config.MambaHeadsPerGroup)] : [config.MambaHeadsPerGroup],
            [Axis.AttentionHeads] = hasAttention ? [.. Enumerable.Range(1, config.AttentionHeadsPerGroup)] : [config.AttentionHeadsPerGroup],
            [Axis.Depth] = [.. Enumerable.Range((config.NumHiddenLayers + 1) / 2, config.NumHiddenLayers - ((config.NumHiddenLayers + 1) / 2) + 1)],
        };
    }

    public NemotronHConfig Config { get; }

    /// <summary>Ascending candidate sizes per axis; the last is the stored size.</summary>
    public IReadOnlyDictionary<Axis, int[]> Choices { get; }

    public static readonly Axis[] Axes = [Axis.Hidden, Axis.Ffn, Axis.MambaHeads, Axis.AttentionHeads, Axis.Depth];

    /// <summary>The budget with the given size per axis (kept layers: the first <c>Depth</c> of the ranking, ascending).</summary>
    public ElasticBudget Budget(string name, IReadOnlyDictionary<Axis, int> sizes, IReadOnlyList<int> layerRanking, long? target = null) =>
        ElasticBudget.Create(Config, name, sizes[Axis.Hidden], sizes[Axis.Ffn], sizes[Axis.MambaHeads], Config.NumKeyValueHeads,
            Config.NumKeyValueHeads * sizes[Axis.AttentionHeads], layerRanking.Take(sizes[Axis.Depth]).Order(), target);

    private static int[] Fractions(int size, int minSixteenths)
    {
        var sizes = new SortedSet<int>();
        for (int k = minSixteenths; k <= 16; k++)
        {
            sizes.Add(Math.Max(1, (int)Math.Round(size * k / 16.0)));
        }

        return [.. sizes];
    }
}
