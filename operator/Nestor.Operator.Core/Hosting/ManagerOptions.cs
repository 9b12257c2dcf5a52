using Nestor.Operator.Core.Informers;
using Nestor.Operator.Core.Leadership;

namespace Nestor.Operator.Core.Hosting;

public sealed record ManagerOptions
{
    /// <summary>Namespaces to watch; empty means all.</summary>
    public IReadOnlyList<string> Namespaces { get; init; } = [];

    /// <summary>Workers per controller unless a controller sets its own.</summary>
    public int Workers { get; init; } = 2;

    public LeaderElectionOptions LeaderElection { get; init; } = new();

    public InformerOptions Informers { get; init; } = new();
}
