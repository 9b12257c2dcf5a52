using System.Text.Json.Nodes;
using Nestor.ApiServer.Resources;

namespace Nestor.ApiServer.Http;

/// <summary>An API error carried to the client as a metav1.Status, with kube-apiserver's codes, reasons and messages.</summary>
internal sealed class ApiException : Exception
{
    public ApiException(int code, string reason, string message, JsonObject? details = null) : base(message)
    {
        Code = code;
        Reason = reason;
        Details = details;
    }

    public int Code { get; }

    public string Reason { get; }

    public JsonObject? Details { get; }

    public int? RetryAfterSeconds { get; init; }

    public JsonObject ToStatus() => Status(Code, Reason, Message, Details);

    public static JsonObject Status(int code, string reason, string message, JsonObject? details = null)
    {
        var status = new JsonObject
        {
            ["kind"] = "Status",
            ["apiVersion"] = "v1",
            ["metadata"] = new JsonObject(),
            ["status"] = "Failure",
            ["message"] = message,
            ["reason"] = reason,
        };
        if (details is not null)
        {
            status["details"] = details;
        }

        status["code"] = code;
        return status;
    }

    private static JsonObject NameDetails(string name, string group, string kind)
    {
        var details = new JsonObject();
        if (name.Length > 0)
        {
            details["name"] = name;
        }

        if (group.Length > 0)
        {
            details["group"] = group;
        }

        details["kind"] = kind;
        return details;
    }

    public static ApiException NotFound(ResourceDefinition def, string name) =>
        new(404, "NotFound", $"{def.QualifiedResource} \"{name}\" not found", NameDetails(name, def.Group, def.Plural));

    public static ApiException NotFound(string group, string resource, string name) =>
        new(404, "NotFound", $"{(group.Length == 0 ? resource : resource + "." + group)} \"{name}\" not found", NameDetails(name, group, resource));

    public static ApiException NotFoundPath() => new(404, "NotFound", "the server could not find the requested resource", []);

    public static ApiException AlreadyExists(ResourceDefinition def, string name) =>
        new(409, "AlreadyExists", $"{def.QualifiedResource} \"{name}\" already exists", NameDetails(name, def.Group, def.Plural));

    public static ApiException Conflict(ResourceDefinition def, string name, string detail) =>
        new(409, "Conflict", $"Operation cannot be fulfilled on {def.QualifiedResource} \"{name}\": {detail}", NameDetails(name, def.Group, def.Plural));

    public static ApiException StaleResourceVersion(ResourceDefinition def, string name) =>
        Conflict(def, name, "the object has been modified; please apply your changes to the latest version and try again");

    public static ApiException Invalid(ResourceDefinition def, string name, IReadOnlyList<FieldError> errors)
    {
        var kind = def.Group.Length == 0 ? def.Kind : $"{def.Kind}.{def.Group}";
        var summary = errors.Count == 1 ? errors[0].ToString() : "[" + string.Join(", ", errors.Select(e => e.ToString())) + "]";
        var details = NameDetails(name, def.Group, def.Kind);
        details["causes"] = new JsonArray(errors.Select(e => (JsonNode)new JsonObject
        {
            ["reason"] = e.Reason,
            ["message"] = e.Body,
            ["field"] = e.Field,
        }).ToArray());
        return new ApiException(422, "Invalid", $"{kind} \"{name}\" is invalid: {summary}", details);
    }

    public static ApiException BadRequest(string message) => new(400, "BadRequest", message);

    public static ApiException Forbidden(string message, JsonObject? details = null) => new(403, "Forbidden", message, details);

    public static ApiException MethodNotAllowed(string message) => new(405, "MethodNotAllowed", message);

    public static ApiException Gone(string message) => new(410, "Expired", message);

    public static ApiException UnsupportedMediaType(string message) => new(415, "UnsupportedMediaType", message);

    public static ApiException NotAcceptable(string message) => new(406, "NotAcceptable", message);

    public static ApiException TooLarge(string message) => new(413, "RequestEntityTooLarge", message);

    public static ApiException Internal(string message) =>
        new(500, "InternalError", $"Internal error occurred: {message}", new JsonObject { ["causes"] = new JsonArray(new JsonObject { ["message"] = message }) });

    public static ApiException Timeout(string message) => new(504, "Timeout", message);
}
