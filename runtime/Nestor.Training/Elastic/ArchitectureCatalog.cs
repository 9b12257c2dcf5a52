using Nestor.Checkpoint;

namespace Nestor.Training.Elastic;

/// <summary>
/// Every architecture of a search space (one choice index per axis) with its exact parameter count, and the
/// constrained choice the trainer uses for its hard (forward) decisions: among architectures whose size is within
/// a tolerance of the target (and no larger, axis by axis, than a bound: the next larger budget's choice), the one
/// the router scores highest (sum over axes of the scores of the chosen indices). The router's soft penalty alone
/// left budgets far from their targets; this holds the trained and exported choices to them.
/// </summary>
public sealed class ArchitectureCatalog
{
    private readonly int[][] _indices;
    private readonly long[] _params;
    private readonly bool[] _admissible;

    /// <param name="keepEveryLayerKind">When set, an architecture must keep at least one layer of every kind the
    /// parent has (Mamba, attention, MLP): a budget whose depth cut removes, say, the only attention layer is never
    /// chosen.</param>
    public ArchitectureCatalog(SearchSpace space, IReadOnlyList<int> layerRanking, bool keepEveryLayerKind = false)
    {
        Space = space;
        var kinds = space.Config.LayerTypes.Distinct().ToArray();
        var counts = SearchSpace.Axes.Select(a => space.Choices[a].Length).ToArray();
        int total = counts.Aggregate(1, (a, b) => a * b);
        _indices = new int[total][];
        _params = new long[total];
        _admissible = new bool[total];
        for (int n = 0; n < total; n++)
        {
            var index = new int[counts.Length];
            int rest = n;
            for (int a = counts.Length - 1; a >= 0; a--)
            {
                index[a] = rest % counts[a];
                rest /= counts[a];
            }

            _indices[n] = index;
            var budget = space.Budget("candidate", Sizes(index), layerRanking);
            _params[n] = budget.Params;
            _admissible[n] = !keepEveryLayerKind || kinds.All(k => budget.Layers.Any(l => space.Config.LayerTypes[l] == k));
        }
    }

    public SearchSpace Space { get; }

    public int Count => _params.Length;

    /// <summary>The sizes per axis of a choice given as indices into <see cref="SearchSpace.Choices"/>.</summary>
    public Dictionary<Axis, int> Sizes(int[] index) =>
        SearchSpace.Axes.Select((a, i) => (a, Space.Choices[a][index[i]])).ToDictionary(p => p.a, p => p.Item2);

    /// <summary>Whether a choice may be picked (every layer kind kept, when the catalogue requires it).</summary>
    public bool IsAdmissible(int[] index) => _admissible[Find(index)];

    /// <summary>The exact parameter count of a choice.</summary>
    public long ParamsOf(int[] index) => _params[Find(index)];

    /// <summary>
    /// The highest-scoring admissible choice whose parameters are within <paramref name="tolerance"/> (relative) of
    /// <paramref name="target"/> and whose index on every axis is at most <paramref name="bound"/>'s. When no such
    /// choice exists, the admissible choices are those nearest the target (the tolerance widens to the smallest
    /// deviation reachable under the bound).
    /// </summary>
    public int[] Best(IReadOnlyList<float[]> scores, long target, double tolerance, int[]? bound = null)
    {
        double nearest = double.PositiveInfinity;
        for (int n = 0; n < _params.Length; n++)
        {
            if (Within(n, bound))
            {
                nearest = Math.Min(nearest, Deviation(n, target));
            }
        }

        double limit = Math.Max(tolerance, nearest) + 1e-12;
        int best = -1;
        double bestScore = double.NegativeInfinity;
        for (int n = 0; n < _params.Length; n++)
        {
            if (!Within(n, bound) || Deviation(n, target) > limit)
            {
                continue;
            }

            double score = 0;
            for (int a = 0; a < scores.Count; a++)
            {
                score += scores[a][_indices[n][a]];
            }

            if (score > bestScore)
            {
                bestScore = score;
                best = n;
            }
        }

        return best < 0 ? throw new InvalidOperationException("no architecture fits the bound") : (int[])_indices[best].Clone();
    }

    /// <summary>The largest choice on every axis: the stored model.</summary>
    public int[] Full => [.. SearchSpace.Axes.Select(a => Space.Choices[a].Length - 1)];

    private double Deviation(int n, long target) => Math.Abs(_params[n] - target) / (double)target;

    private bool Within(int n, int[]? bound)
    {
        if (!_admissible[n])
        {
            return false;
        }

        if (bound is null)
        {
            return true;
        }

        for (int a = 0; a < bound.Length; a++)
        {
            if (_indices[n][a] > bound[a])
            {
                return false;
            }
        }

        return true;
    }

    private int Find(int[] index)
    {
        int n = 0;
        for (int a = 0; a < index.Length; a++)
        {
            n = (n * Space.Choices[SearchSpace.Axes[a]].Length) + index[a];
        }

        return n;
    }
}
