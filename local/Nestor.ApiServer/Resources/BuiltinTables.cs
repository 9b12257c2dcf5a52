using System.Globalization;
using System.Text.Json.Nodes;
using Nestor.ApiServer.Json;
using Nestor.ApiServer.Tables;

namespace Nestor.ApiServer.Resources;

/// <summary>Default columns of the built-in kinds, close to kube-apiserver's printers (pkg/printers/internalversion).</summary>
internal static class BuiltinTables
{
    private static (TableColumn, Func<JsonObject, DateTimeOffset, JsonNode?>) Col(string name, string type, Func<JsonObject, JsonNode?> cell, int priority = 0, string description = "") =>
        (new TableColumn(name, type, "", description.Length > 0 ? description : name, priority), (o, _) => cell(o));

    private static string None(string? s) => string.IsNullOrEmpty(s) ? "<none>" : s;

    private static int Count(JsonNode? node) => node switch
    {
        JsonObject o => o.Count,
        JsonArray a => a.Count,
        _ => 0,
    };

    private static string I(long value) => value.ToString(CultureInfo.InvariantCulture);

    private static string Selector(JsonNode? matchLabels) =>
        matchLabels is JsonObject o && o.Count > 0 ? string.Join(',', o.Select(p => $"{p.Key}={(string?)p.Value}")) : "<none>";

    private static string Containers(JsonObject o, string field, params string[] podSpecPath) =>
        None(string.Join(',', (JsonPaths.ArrayAt(o, podSpecPath) ?? []).OfType<JsonObject>().Select(c => JsonPaths.GetString(c, field))));

    public static readonly ITableConvertor Pods = new ColumnTable(
        Col("Ready", "string", o =>
        {
            var total = Count(JsonPaths.Get(o, "spec", "containers"));
            var ready = (JsonPaths.ArrayAt(o, "status", "containerStatuses") ?? []).Count(c => JsonPaths.GetBool(c, "ready") == true);
            return $"{ready}/{total}";
        }, description: "The aggregate readiness state of this pod for accepting traffic."),
        Col("Status", "string", o => PodStatus(o), description: "The aggregate status of the containers in this pod."),
        Col("Restarts", "string", o => I((JsonPaths.ArrayAt(o, "status", "containerStatuses") ?? []).Sum(c => JsonPaths.GetInt64(c, "restartCount") ?? 0)),
            description: "The number of times the containers in this pod have been restarted and when the last container in this pod has restarted."),
        ColumnTable.Age,
        Col("IP", "string", o => None(JsonPaths.GetString(o, "status", "podIP")), 1, "The IP address assigned to the pod"),
        Col("Node", "string", o => None(JsonPaths.GetString(o, "spec", "nodeName")), 1, "The name of the node assigned to the pod"),
        Col("Nominated Node", "string", o => None(JsonPaths.GetString(o, "status", "nominatedNodeName")), 1),
        Col("Readiness Gates", "string", o => Count(JsonPaths.Get(o, "spec", "readinessGates")) == 0 ? "<none>" : I(Count(JsonPaths.Get(o, "spec", "readinessGates"))), 1));

    private static string PodStatus(JsonObject o)
    {
        var reason = JsonPaths.GetString(o, "status", "reason") ?? JsonPaths.GetString(o, "status", "phase") ?? "Pending";
        foreach (var status in (JsonPaths.ArrayAt(o, "status", "containerStatuses") ?? []).OfType<JsonObject>())
        {
            if (JsonPaths.GetString(status, "state", "waiting", "reason") is { Length: > 0 } waiting)
            {
                reason = waiting;
            }
            else if (JsonPaths.GetString(status, "state", "terminated", "reason") is { Length: > 0 } terminated)
            {
                reason = terminated;
            }
        }

        return JsonPaths.GetString(o, "metadata", "deletionTimestamp") is not null ? "Terminating" : reason;
    }

    public static readonly ITableConvertor Services = new ColumnTable(
        Col("Type", "string", o => JsonPaths.GetString(o, "spec", "type") ?? "ClusterIP"),
        Col("Cluster-IP", "string", o => None(JsonPaths.GetString(o, "spec", "clusterIP"))),
        Col("External-IP", "string", o => None(string.Join(',', JsonPaths.Strings(JsonPaths.Get(o, "spec", "externalIPs"))))),
        Col("Port(s)", "string", o => None(string.Join(',', (JsonPaths.ArrayAt(o, "spec", "ports") ?? []).OfType<JsonObject>().Select(p =>
            JsonPaths.GetInt64(p, "nodePort") is { } nodePort
                ? $"{JsonPaths.GetInt64(p, "port")}:{nodePort}/{JsonPaths.GetString(p, "protocol") ?? "TCP"}"
                : $"{JsonPaths.GetInt64(p, "port")}/{JsonPaths.GetString(p, "protocol") ?? "TCP"}")))),
        ColumnTable.Age,
        Col("Selector", "string", o => Selector(JsonPaths.Get(o, "spec", "selector")), 1));

    public static readonly ITableConvertor Deployments = new ColumnTable(
        Col("Ready", "string", o => $"{JsonPaths.GetInt64(o, "status", "readyReplicas") ?? 0}/{JsonPaths.GetInt64(o, "spec", "replicas") ?? 0}"),
        Col("Up-to-date", "integer", o => JsonPaths.GetInt64(o, "status", "updatedReplicas") ?? 0),
        Col("Available", "integer", o => JsonPaths.GetInt64(o, "status", "availableReplicas") ?? 0),
        ColumnTable.Age,
        Col("Containers", "string", o => Containers(o, "name", "spec", "template", "spec", "containers"), 1),
        Col("Images", "string", o => Containers(o, "image", "spec", "template", "spec", "containers"), 1),
        Col("Selector", "string", o => Selector(JsonPaths.Get(o, "spec", "selector", "matchLabels")), 1));

    public static readonly ITableConvertor Jobs = new ColumnTable(
        Col("Status", "string", o =>
        {
            var conditions = (JsonPaths.ArrayAt(o, "status", "conditions") ?? []).OfType<JsonObject>()
                .Where(c => JsonPaths.GetString(c, "status") == "True").Select(c => JsonPaths.GetString(c, "type")).ToList();
            return conditions.Contains("Complete") ? "Complete" : conditions.Contains("Failed") ? "Failed" :
                conditions.Contains("Suspended") ? "Suspended" : JsonPaths.GetString(o, "metadata", "deletionTimestamp") is not null ? "Terminating" : "Running";
        }),
        Col("Completions", "string", o => $"{JsonPaths.GetInt64(o, "status", "succeeded") ?? 0}/{JsonPaths.GetInt64(o, "spec", "completions") ?? 1}"),
        (new TableColumn("Duration", "string", "", "Time required to complete the job."), (o, now) =>
        {
            var start = JsonPaths.ParseTimestamp(JsonPaths.GetString(o, "status", "startTime"));
            var end = JsonPaths.ParseTimestamp(JsonPaths.GetString(o, "status", "completionTime")) ?? now;
            return start is null ? "" : HumanDuration.Format(end - start.Value);
        }
    ),
        ColumnTable.Age,
        Col("Containers", "string", o => Containers(o, "name", "spec", "template", "spec", "containers"), 1),
        Col("Images", "string", o => Containers(o, "image", "spec", "template", "spec", "containers"), 1),
        Col("Selector", "string", o => Selector(JsonPaths.Get(o, "spec", "selector", "matchLabels")), 1));

    public static readonly ITableConvertor ConfigMaps = new ColumnTable(
        Col("Data", "integer", o => Count(o["data"]) + Count(o["binaryData"])), ColumnTable.Age);

    public static readonly ITableConvertor Secrets = new ColumnTable(
        Col("Type", "string", o => JsonPaths.GetString(o, "type") ?? "Opaque"), Col("Data", "integer", o => Count(o["data"])), ColumnTable.Age);

    public static readonly ITableConvertor ServiceAccounts = new ColumnTable(
        Col("Secrets", "integer", o => Count(o["secrets"])), ColumnTable.Age);

    public static readonly ITableConvertor Namespaces = new ColumnTable(
        Col("Status", "string", o => JsonPaths.GetString(o, "status", "phase") ?? "Active"), ColumnTable.Age);

    public static readonly ITableConvertor PersistentVolumeClaims = new ColumnTable(
        Col("Status", "string", o => JsonPaths.GetString(o, "status", "phase") ?? "Pending"),
        Col("Volume", "string", o => JsonPaths.GetString(o, "spec", "volumeName") ?? ""),
        Col("Capacity", "string", o => JsonPaths.GetString(o, "status", "capacity", "storage") ?? ""),
        Col("Access Modes", "string", o => string.Join(',', JsonPaths.Strings(JsonPaths.Get(o, "status", "accessModes")).Select(m => m switch
        {
            "ReadWriteOnce" => "RWO",
            "ReadOnlyMany" => "ROX",
            "ReadWriteMany" => "RWX",
            "ReadWriteOncePod" => "RWOP",
            _ => m,
        }))),
        Col("StorageClass", "string", o => JsonPaths.GetString(o, "spec", "storageClassName") ?? ""),
        Col("VolumeAttributesClass", "string", o => None(JsonPaths.GetString(o, "spec", "volumeAttributesClassName"))),
        ColumnTable.Age,
        Col("VolumeMode", "string", o => JsonPaths.GetString(o, "spec", "volumeMode") ?? "Filesystem", 1));

    public static readonly ITableConvertor Leases = new ColumnTable(
        Col("Holder", "string", o => JsonPaths.GetString(o, "spec", "holderIdentity") ?? ""), ColumnTable.Age);

    public static readonly ITableConvertor Events = new ColumnTable(
        (new TableColumn("Last Seen", "string", "", "Time when last this event was recorded."), (o, now) =>
            HumanDuration.Since(JsonPaths.ParseTimestamp(JsonPaths.GetString(o, "lastTimestamp") ?? JsonPaths.GetString(o, "eventTime") ??
                JsonPaths.GetString(o, "metadata", "creationTimestamp")), now)),
        Col("Type", "string", o => JsonPaths.GetString(o, "type") ?? ""),
        Col("Reason", "string", o => JsonPaths.GetString(o, "reason") ?? ""),
        Col("Object", "string", o => $"{(JsonPaths.GetString(o, "involvedObject", "kind") ?? "").ToLowerInvariant()}/{JsonPaths.GetString(o, "involvedObject", "name")}"),
        Col("Message", "string", o => JsonPaths.GetString(o, "message") ?? ""),
        Col("Count", "integer", o => JsonPaths.GetInt64(o, "count") ?? 1, 1));

    public static readonly ITableConvertor CustomResourceDefinitions = new ColumnTable(
        Col("Created At", "date", o => JsonPaths.GetString(o, "metadata", "creationTimestamp")));
}
