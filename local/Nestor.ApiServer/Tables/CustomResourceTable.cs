using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Nestor.ApiServer.Json;

namespace Nestor.ApiServer.Tables;

/// <summary>A CRD version's additionalPrinterColumns (or Name and Age when it has none), as kube-apiserver renders them.</summary>
internal sealed class CustomResourceTable : ITableConvertor
{
    private readonly List<(TableColumn Column, JsonPathExpression? Path, string Type)> _columns = [];

    public CustomResourceTable(JsonArray? printerColumns)
    {
        if (printerColumns is null || printerColumns.Count == 0)
        {
            _columns.Add((new TableColumn("Age", "date", "", "Custom resource definition column (in JSONPath format): .metadata.creationTimestamp"),
                JsonPathExpression.Parse(".metadata.creationTimestamp"), "date"));
            return;
        }

        foreach (var column in printerColumns.OfType<JsonObject>())
        {
            var path = JsonPaths.GetString(column, "jsonPath") ?? "";
            var type = JsonPaths.GetString(column, "type") ?? "string";
            var description = JsonPaths.GetString(column, "description") is { Length: > 0 } d
                ? d
                : $"Custom resource definition column (in JSONPath format): {path}";
            JsonPathExpression? parsed;
            try
            {
                parsed = JsonPathExpression.Parse(path);
            }
            catch (FormatException)
            {
                parsed = null;
            }

            _columns.Add((new TableColumn(JsonPaths.GetString(column, "name") ?? path, type, JsonPaths.GetString(column, "format") ?? "",
                description, (int)(JsonPaths.GetInt64(column, "priority") ?? 0)), parsed, type));
        }
    }

    public IReadOnlyList<TableColumn> Columns => [ColumnTable.NameColumn, .. _columns.Select(c => c.Column)];

    public JsonArray Cells(JsonObject obj, DateTimeOffset now)
    {
        var cells = new JsonArray(JsonPaths.GetString(obj, "metadata", "name"));
        foreach (var (_, path, type) in _columns)
        {
            var first = path?.Evaluate(obj).FirstOrDefault();
            cells.Add(first is null ? null : Cell(type, first, now));
        }

        return cells;
    }

    private static JsonNode? Cell(string type, JsonNode value, DateTimeOffset now)
    {
        var v = value as JsonValue;
        switch (type)
        {
            case "integer":
                return v is not null && v.GetValueKind() == JsonValueKind.Number ? JsonValue.Create((long)Json.JsonPaths.AsDouble(v)) : null;
            case "number":
                return v is not null && v.GetValueKind() == JsonValueKind.Number ? JsonValue.Create(Json.JsonPaths.AsDouble(v)) : null;
            case "boolean":
                return v is not null && v.GetValueKind() is JsonValueKind.True or JsonValueKind.False ? JsonValue.Create(v.GetValueKind() == JsonValueKind.True) : null;
            case "date":
                return v is not null && v.TryGetValue<string>(out var s) && JsonPaths.ParseTimestamp(s) is { } t ? HumanDuration.Since(t, now) : null;
            default:
                if (v is not null && v.TryGetValue<string>(out var text))
                {
                    return text;
                }

                return v is not null && v.GetValueKind() == JsonValueKind.Number
                    ? Json.JsonPaths.AsDouble(v).ToString(CultureInfo.InvariantCulture)
                    : value.ToJsonString();
        }
    }
}
