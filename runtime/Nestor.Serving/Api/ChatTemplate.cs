using System.Text;
using System.Text.Json;
using Nestor.Serving.Api.ChatTemplates;
using Nestor.Serving.Engine;

namespace Nestor.Serving.Api;

/// <summary>
/// How /v1/chat/completions turns messages into a prompt: the checkpoint's own Jinja chat template when it has one
/// (<see cref="CheckpointChatTemplate"/>), else the built-in template, each message as <c>&lt;|role|&gt;\ncontent\n</c>,
/// then <c>&lt;|assistant|&gt;\n</c> for the reply.
/// </summary>
public sealed class ChatTemplate
{
    private static readonly string[] Roles = ["system", "developer", "user", "assistant", "tool"];

    private readonly CheckpointChatTemplate? _checkpoint;

    private ChatTemplate(CheckpointChatTemplate? checkpoint) => _checkpoint = checkpoint;

    public static ChatTemplate Builtin { get; } = new(null);

    /// <summary>For the startup log and docs: which template renders chat prompts.</summary>
    public string Description => _checkpoint is { } c
        ? $"the checkpoint's {c.File} (Jinja; {string.Join(", ", c.SpecialTokens.Select(p => $"{p.Key}={p.Value}"))})"
        : "built-in <|role|> template";

    public static ChatTemplate For(CheckpointChatTemplate? checkpoint) => checkpoint is null ? Builtin : new ChatTemplate(checkpoint);

    /// <summary>The prompt text for <paramref name="messages"/> (validated: 400 naming the field that is wrong).</summary>
    public string Render(JsonElement messages)
    {
        var list = Validate(messages);
        if (_checkpoint is not { } c)
        {
            var text = new StringBuilder();
            foreach (var (role, content, _) in list)
            {
                text.Append("<|").Append(role).Append("|>\n").Append(content).Append('\n');
            }

            return text.Append("<|assistant|>\n").ToString();
        }

        var variables = new Dictionary<string, object?>(StringComparer.Ordinal)
        {
            ["messages"] = list.Select(m => Message(m.Element, m.Content)).ToList(),
            ["add_generation_prompt"] = true,
            ["tools"] = null,
            ["documents"] = null,
        };
        foreach (var (name, value) in c.SpecialTokens)
        {
            variables[name] = value;
        }

        try
        {
            return c.Template.Render(variables);
        }
        catch (TemplateRaisedException e)
        {
            throw ApiError.BadField("messages", e.Message);
        }
        catch (TemplateRuntimeException e)
        {
            throw ApiError.BadField("messages", $"The checkpoint's chat template cannot render these messages: {e.Message}");
        }
    }

    /// <summary>
    /// Tokens of a rendered prompt. The built-in template's prompt is encoded as a completion prompt is (the tokenizer
    /// adds BOS). A checkpoint template's prompt gets the tokenizer's BOS only when the template did not start with
    /// <c>bos_token</c> itself, and its special-token strings (<c>bos_token</c>, <c>eos_token</c>, ...) become their ids.
    /// </summary>
    public IReadOnlyList<long> Encode(string prompt, ITokenizer tokenizer)
    {
        if (_checkpoint is not { } c)
        {
            return tokenizer.EncodePrompt(prompt);
        }

        var specials = new List<(string Text, long Id)>();
        foreach (var (name, id) in new[] { ("bos_token", tokenizer.BosTokenId), ("eos_token", tokenizer.EosTokenId) })
        {
            if (id is { } i && c.SpecialTokens.TryGetValue(name, out var text) && text.Length > 0)
            {
                specials.Add((text, i));
            }
        }

        var tokens = new List<long>();
        var bos = specials.FirstOrDefault(s => s.Id == tokenizer.BosTokenId);
        bool templateBos = bos.Text is not null && prompt.StartsWith(bos.Text, StringComparison.Ordinal);
        if (!templateBos && tokenizer.BosTokenId is { } b)
        {
            tokens.Add(b);
        }

        int pos = 0;
        while (pos < prompt.Length)
        {
            var (at, special) = NextSpecial(prompt, pos, specials);
            if (at > pos)
            {
                tokens.AddRange(tokenizer.Encode(prompt[pos..at]));
            }

            if (special.Text is null)
            {
                break;
            }

            tokens.Add(special.Id);
            pos = at + special.Text.Length;
        }

        return tokens;
    }

    private static (int At, (string Text, long Id) Special) NextSpecial(string prompt, int from, List<(string Text, long Id)> specials)
    {
        var best = (At: prompt.Length, Special: default((string Text, long Id)));
        foreach (var s in specials)
        {
            int i = prompt.IndexOf(s.Text, from, StringComparison.Ordinal);
            if (i >= 0 && (i < best.At || (i == best.At && s.Text.Length > best.Special.Text!.Length)))
            {
                best = (i, s);
            }
        }

        return best;
    }

    /// <summary>A message as the template sees it: its JSON fields, with text parts joined into one content string.</summary>
    private static object? Message(JsonElement element, string? content)
    {
        var message = new Dictionary<string, object?>(StringComparer.Ordinal);
        foreach (var p in element.EnumerateObject())
        {
            message[p.Name] = p.Name == "content" ? content : p.Value;
        }

        return message;
    }

    private static List<(string Role, string? Content, JsonElement Element)> Validate(JsonElement messages)
    {
        if (messages.ValueKind != JsonValueKind.Array || messages.GetArrayLength() == 0)
        {
            throw ApiError.BadField("messages", "'messages' must be a non-empty array.");
        }

        var list = new List<(string, string?, JsonElement)>();
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

            list.Add((role, Content(message, at), message));
            i++;
        }

        return list;
    }

    /// <summary>The content as a string (text parts joined); null when absent or null.</summary>
    private static string? Content(JsonElement message, string at)
    {
        if (!message.TryGetProperty("content", out var content) || content.ValueKind == JsonValueKind.Null)
        {
            return null;
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
                if (part.ValueKind != JsonValueKind.Object || !part.TryGetProperty("type", out var type) || type.ValueKind != JsonValueKind.String || type.GetString() != "text"
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
