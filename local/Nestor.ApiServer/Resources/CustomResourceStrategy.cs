using System.Text.Json.Nodes;
using Nestor.ApiServer.Http;
using Nestor.ApiServer.Validation;

namespace Nestor.ApiServer.Resources;

/// <summary>A custom resource version: structural-schema pruning, defaults and validation; create drops status with a status subresource.</summary>
internal sealed class CustomResourceStrategy(Schema schema, bool hasStatus) : IResourceStrategy
{
    public Schema Schema { get; } = schema;

    public void PrepareForCreate(JsonObject obj, StrategyContext context)
    {
        if (hasStatus)
        {
            obj.Remove("status");
        }
    }

    public void Normalize(JsonObject obj, StrategyContext context) => SchemaProcessor.PruneAndDefault(obj, Schema, context.UnknownFields);

    public IEnumerable<FieldError> Validate(JsonObject obj, JsonObject? old, StrategyContext context) => SchemaProcessor.Validate(obj, Schema, old);
}
