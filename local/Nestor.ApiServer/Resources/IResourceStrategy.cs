using System.Text.Json.Nodes;
using Nestor.ApiServer.Http;

namespace Nestor.ApiServer.Resources;

/// <summary>Per-request facts a strategy may need.</summary>
internal sealed class StrategyContext
{
    public required ResourceDefinition Definition { get; init; }

    /// <summary>Unknown fields that were dropped (paths like spec.foo), for fieldValidation Warn/Strict.</summary>
    public List<string> UnknownFields { get; } = [];

    /// <summary>The first two octets of allocated Service cluster IPs.</summary>
    public string ServiceIpPrefix { get; init; } = "10.96";

    /// <summary>Lookups the strategy may do while the store is locked (e.g. allocated cluster IPs).</summary>
    public Func<string, IEnumerable<JsonObject>>? ListOthers { get; init; }
}

/// <summary>Kind-specific behaviour, like kube-apiserver's REST strategies and admission defaults.</summary>
internal interface IResourceStrategy
{
    /// <summary>Admission-style changes on create only (allocations, generated selectors, status reset).</summary>
    void PrepareForCreate(JsonObject obj, StrategyContext context);

    /// <summary>Defaults and pruning, on every write (create, update, patch, apply).</summary>
    void Normalize(JsonObject obj, StrategyContext context);

    /// <summary>Validation; <paramref name="old"/> is null on create.</summary>
    IEnumerable<FieldError> Validate(JsonObject obj, JsonObject? old, StrategyContext context);
}

internal sealed class NoStrategy : IResourceStrategy
{
    public static readonly NoStrategy Instance = new();

    public void PrepareForCreate(JsonObject obj, StrategyContext context)
    {
    }

    public void Normalize(JsonObject obj, StrategyContext context)
    {
    }

    public IEnumerable<FieldError> Validate(JsonObject obj, JsonObject? old, StrategyContext context) => [];
}
