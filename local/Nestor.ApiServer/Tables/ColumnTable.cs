using System.Text.Json.Nodes;
using Nestor.ApiServer.Json;

namespace Nestor.ApiServer.Tables;

/// <summary>A table convertor from a list of columns, each with a function computing its cell.</summary>
internal sealed class ColumnTable : ITableConvertor
{
    private readonly List<(TableColumn Column, Func<JsonObject, DateTimeOffset, JsonNode?> Cell)> _columns;

    public ColumnTable(params (TableColumn Column, Func<JsonObject, DateTimeOffset, JsonNode?> Cell)[] columns) =>
        _columns = [(NameColumn, (o, _) => JsonPaths.GetString(o, "metadata", "name")), .. columns];

    public static readonly TableColumn NameColumn = new("Name", "string", "name",
        "Name must be unique within a namespace. Is required when creating resources, although some resources may allow a client to request the generation of an appropriate name automatically. Name is primarily intended for creation idempotence and configuration definition. Cannot be updated. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/names#names");

    public static (TableColumn, Func<JsonObject, DateTimeOffset, JsonNode?>) Age => (
        new TableColumn("Age", "string", "", "CreationTimestamp is a timestamp representing the server time when this object was created."),
        (o, now) => HumanDuration.Since(JsonPaths.ParseTimestamp(JsonPaths.GetString(o, "metadata", "creationTimestamp")), now));

    public static readonly ColumnTable Default = new(Age);

    public IReadOnlyList<TableColumn> Columns => _columns.Select(c => c.Column).ToList();

    public JsonArray Cells(JsonObject obj, DateTimeOffset now) => new(_columns.Select(c => c.Cell(obj, now)).ToArray());
}
