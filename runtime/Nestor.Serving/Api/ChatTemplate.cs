using System.Text;
using System.Text.Json;

namespace Nestor.Serving.Api;

/// <summary>
/// The built-in chat template: each message as <c>&lt;|role|&gt;\ncontent\n</c>, then <c>&lt;|assistant|&gt;\n</c>
/// for the reply.
/// </summary>
internal static class ChatTemplate
{
    private static readonly string[] Roles = ["system", "developer", "user", "assistant", "tool"];

    public static string Render(JsonElement messages)
    {
        if (messages.ValueKind != JsonValueKind.Array || messages.GetArrayLength() == 0)
        {
            throw ApiError.BadField("messages", "'messages' must be a non-empty array.");
        }

        var text = new StringBuilder();
        int i = 0;
        foreach (var message in messages.EnumerateArray())
        {
            var at = $"messages[{i}]";
            if (message.ValueKind != JsonValueKind.Object)
            {
                throw ApiError.BadField(at, $"'{at}' must be an object with 'role' and 'content'.");
            }

            var role = message.TryGetProperty("role", out var r) && r.ValueKind == JsonValueKind.String ? r.GetString()! : null;
            if (role is null || !Roles.Contains(role))
            {
                throw ApiError.BadField($"{at}.role", $"'{at}.role' must be one of {string.Join(", ", Roles)}.");
            }

            text.Append("<|").Append(role).Append("|>\n").Append(Content(message, at)).Append('\n');
            i++;
        }

        return text.Append("<|assistant|>\n").ToString();
    }

    private static string Content(JsonElement message, string at)
    {
        if (!message.TryGetProperty("content", out var content) || content.ValueKind == JsonValueKind.Null)
        {
            return "";
        }

        if (content.ValueKind == JsonValueKind.String)
        {
            return content.GetString()!;
        }

        if (content.ValueKind == JsonValueKind.Array)
        {
            var parts = new StringBuilder();
            foreach (var part in content.EnumerateArray())
            {
                if (part.ValueKind != JsonValueKind.Object || !part.TryGetProperty("type", out var type) || type.GetString() != "text"
                    || !part.TryGetProperty("text", out var t) || t.ValueKind != JsonValueKind.String)
                {
                    throw ApiError.BadField($"{at}.content", $"'{at}.content' parts must be {{\"type\": \"text\", \"text\": ...}} (only text is supported).");
                }

                parts.Append(t.GetString());
            }

            return parts.ToString();
        }

        throw ApiError.BadField($"{at}.content", $"'{at}.content' must be a string or an array of text parts.");
    }
}
