using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Nestor.ApiServer.Http;

/// <summary>The kinds of k8s.io/apimachinery field.Error, with their Status cause reasons.</summary>
internal enum FieldErrorType
{
    Required,
    Invalid,
    NotSupported,
    Duplicate,
    Forbidden,
    TooLong,
    TooMany,
    Internal,
}

/// <summary>One validation failure at a field path (e.g. spec.budgets[0].name), formatted like kube-apiserver's.</summary>
internal sealed record FieldError(FieldErrorType Type, string Field, string Detail = "", JsonNode? Value = null, bool HasValue = false)
{
    public static FieldError Required(string field, string detail = "") => new(FieldErrorType.Required, field, detail);

    public static FieldError Invalid(string field, JsonNode? value, string detail) => new(FieldErrorType.Invalid, field, detail, value, true);

    public static FieldError NotSupported(string field, JsonNode? value, IEnumerable<string> supported) =>
        new(FieldErrorType.NotSupported, field, "supported values: " + string.Join(", ", supported), value, true);

    public static FieldError Forbidden(string field, string detail) => new(FieldErrorType.Forbidden, field, detail);

    public static FieldError TooLong(string field, JsonNode? value, long max) =>
        new(FieldErrorType.TooLong, field, $"may not be longer than {max}", value, false);

    public static FieldError TooMany(string field, int actual, long max) =>
        new(FieldErrorType.TooMany, field, $"must have at most {max} items", JsonValue.Create(actual), true);

    public static FieldError Duplicate(string field, JsonNode? value) => new(FieldErrorType.Duplicate, field, "", value, true);

    public string Reason => Type switch
    {
        FieldErrorType.Required => "FieldValueRequired",
        FieldErrorType.Invalid => "FieldValueInvalid",
        FieldErrorType.NotSupported => "FieldValueNotSupported",
        FieldErrorType.Duplicate => "FieldValueDuplicate",
        FieldErrorType.Forbidden => "FieldValueForbidden",
        FieldErrorType.TooLong => "FieldValueTooLong",
        FieldErrorType.TooMany => "FieldValueTooMany",
        _ => "InternalError",
    };

    private string TypeText => Type switch
    {
        FieldErrorType.Required => "Required value",
        FieldErrorType.Invalid => "Invalid value",
        FieldErrorType.NotSupported => "Unsupported value",
        FieldErrorType.Duplicate => "Duplicate value",
        FieldErrorType.Forbidden => "Forbidden",
        FieldErrorType.TooLong => "Too long",
        FieldErrorType.TooMany => "Too many",
        _ => "Internal error",
    };

    /// <summary>The message without the field, as in Status causes (field.Error.ErrorBody).</summary>
    public string Body
    {
        get
        {
            var text = TypeText;
            if (HasValue)
            {
                text += ": " + FormatValue(Value);
            }

            return Detail.Length > 0 ? $"{text}: {Detail}" : text;
        }
    }

    public override string ToString() => $"{Field}: {Body}";

    private static string FormatValue(JsonNode? value) => value switch
    {
        null => "null",
        JsonValue v when v.GetValueKind() == JsonValueKind.String => JsonSerializer.Serialize(v.GetValue<string>()),
        JsonValue v => v.ToJsonString(),
        JsonObject => "\"object\"",
        JsonArray a => "[" + string.Join(",", a.Select(FormatValue)) + "]",
        _ => value.ToJsonString(),
    };

    public static string FormatIndex(string field, int index) => string.Create(CultureInfo.InvariantCulture, $"{field}[{index}]");
}
