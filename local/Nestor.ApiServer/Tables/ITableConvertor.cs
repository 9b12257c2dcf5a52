using System.Text.Json.Nodes;

namespace Nestor.ApiServer.Tables;

/// <summary>One column of a meta.k8s.io/v1 Table; priority 0 shows by default, 1 with -o wide.</summary>
internal sealed record TableColumn(string Name, string Type, string Format, string Description, int Priority = 0)
{
    public JsonObject ToJson() => new()
    {
        ["name"] = Name,
        ["type"] = Type,
        ["format"] = Format,
        ["description"] = Description,
        ["priority"] = Priority,
    };
}

/// <summary>Turns an object into a table row, like kube-apiserver's TableConvertor for its resource.</summary>
internal interface ITableConvertor
{
    IReadOnlyList<TableColumn> Columns { get; }

    JsonArray Cells(JsonObject obj, DateTimeOffset now);
}
