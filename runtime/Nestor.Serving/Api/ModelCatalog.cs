using Nestor.Checkpoint;

namespace Nestor.Serving.Api;

/// <summary>
/// The OpenAI model ids of the served budgets: the checkpoint's largest budget is the bare model name
/// (<c>tiny-elastic</c>), every other budget <c>name@budget</c> (<c>tiny-elastic@b50</c>), the same on every server of
/// the checkpoint. Requests may also say <c>name@full</c>, and the bare name with no <c>budget</c> field means this
/// server's default budget.
/// </summary>
public sealed class ModelCatalog(ElasticManifest manifest, IReadOnlyList<string> served, string defaultBudget, DateTimeOffset created)
{
    public string Name => manifest.Name;

    public IReadOnlyList<string> Served { get; } = served;

    public string DefaultBudget { get; } = defaultBudget;

    public long Created { get; } = created.ToUnixTimeSeconds();

    public ElasticBudget Budget(string name) => manifest.Get(name);

    public string IdOf(string budget) => budget == manifest.Default.Name ? Name : $"{Name}@{budget}";

    /// <summary>The budget a request names through <c>model</c> and the optional <c>budget</c> field.</summary>
    public string Resolve(string model, string? budgetField)
    {
        var at = model.IndexOf('@', StringComparison.Ordinal);
        var name = at < 0 ? model : model[..at];
        string? fromModel = at < 0 ? null : model[(at + 1)..];
        if (name != Name)
        {
            throw ApiError.NotFound($"The model '{model}' does not exist; this server serves '{Name}' (GET /v1/models lists the ids).");
        }

        if (fromModel is not null && budgetField is not null && fromModel != budgetField)
        {
            throw ApiError.BadField("budget", $"'budget' is '{budgetField}' but 'model' names budget '{fromModel}'.");
        }

        var budget = fromModel ?? budgetField ?? DefaultBudget;
        if (manifest.TryGet(budget) is null)
        {
            throw ApiError.NotFound($"The model '{Name}' has no budget '{budget}' (it has {string.Join(", ", manifest.Budgets.Select(b => b.Name))}).",
                fromModel is null && budgetField is not null ? "budget" : "model");
        }

        if (!Served.Contains(budget))
        {
            throw ApiError.NotFound($"The budget '{budget}' is not served by this server (it serves {string.Join(", ", Served)}).",
                fromModel is null && budgetField is not null ? "budget" : "model");
        }

        return budget;
    }
}
