using System.Text.Encodings.Web;
using System.Text.Json;

namespace Nestor.Serving.Api;

/// <summary>Serializer settings of every response: UTF-8 text as is (only what JSON requires is escaped).</summary>
internal static class Json
{
    public static readonly JsonSerializerOptions Options = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static string Serialize(object value) => JsonSerializer.Serialize(value, Options);
}
