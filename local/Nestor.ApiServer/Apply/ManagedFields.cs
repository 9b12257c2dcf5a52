using System.Text.Json.Nodes;
using Nestor.ApiServer.Json;

namespace Nestor.ApiServer.Apply;

/// <summary>One metadata.managedFields entry: who (manager, operation, subresource) owns which fields.</summary>
internal sealed class ManagedFieldsEntry
{
    public required string Manager { get; init; }

    public required string Operation { get; init; }

    public required string ApiVersion { get; set; }

    public string? Time { get; set; }

    public string? Subresource { get; init; }

    public required FieldSet Fields { get; set; }

    public bool Matches(string manager, string operation, string? subresource) =>
        Manager == manager && Operation == operation && (Subresource ?? "") == (subresource ?? "");

    public string Describe() =>
        $"\"{Manager}\"{(Subresource is { Length: > 0 } s ? $" with subresource \"{s}\"" : "")} using {ApiVersion}";

    public static List<ManagedFieldsEntry> Read(JsonObject? obj)
    {
        var entries = new List<ManagedFieldsEntry>();
        if (JsonPaths.ArrayAt(obj, "metadata", "managedFields") is not { } array)
        {
            return entries;
        }

        foreach (var item in array.OfType<JsonObject>())
        {
            entries.Add(new ManagedFieldsEntry
            {
                Manager = JsonPaths.GetString(item, "manager") ?? "",
                Operation = JsonPaths.GetString(item, "operation") ?? "Update",
                ApiVersion = JsonPaths.GetString(item, "apiVersion") ?? "",
                Time = JsonPaths.GetString(item, "time"),
                Subresource = JsonPaths.GetString(item, "subresource"),
                Fields = FieldSet.FromFieldsV1(item["fieldsV1"] as JsonObject),
            });
        }

        return entries;
    }

    public static void Write(JsonObject obj, IEnumerable<ManagedFieldsEntry> entries)
    {
        var array = new JsonArray();
        foreach (var e in entries.Where(e => !e.Fields.IsEmpty))
        {
            var item = new JsonObject
            {
                ["manager"] = e.Manager,
                ["operation"] = e.Operation,
                ["apiVersion"] = e.ApiVersion,
            };
            if (e.Time is not null)
            {
                item["time"] = e.Time;
            }

            item["fieldsType"] = "FieldsV1";
            item["fieldsV1"] = e.Fields.ToFieldsV1();
            if (e.Subresource is { Length: > 0 })
            {
                item["subresource"] = e.Subresource;
            }

            array.Add(item);
        }

        var metadata = JsonPaths.Metadata(obj);
        if (array.Count == 0)
        {
            metadata.Remove("managedFields");
        }
        else
        {
            metadata["managedFields"] = array;
        }
    }
}
