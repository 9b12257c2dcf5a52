using System.Text.Json;

namespace Nestor.Serving.Api.ChatTemplates;

/// <summary>
/// A checkpoint's own chat template and special-token strings, as Hugging Face saves them: <c>chat_template.jinja</c>
/// (newer transformers; it wins), else <c>chat_template</c> in <c>tokenizer_config.json</c> (a string, or a list of
/// <c>{name, template}</c> of which <c>default</c> is used). <c>bos_token</c>, <c>eos_token</c>, <c>pad_token</c> and
/// <c>unk_token</c> come from <c>tokenizer_config.json</c> (a string or an added-token object with <c>content</c>),
/// else from the <c>added_tokens</c> of <c>tokenizer.json</c> with the config's ids.
/// </summary>
public sealed record CheckpointChatTemplate(JinjaTemplate Template, string File, IReadOnlyDictionary<string, string> SpecialTokens)
{
    public const string JinjaFileName = "chat_template.jinja";
    public const string TokenizerConfigFileName = "tokenizer_config.json";
    public const string TokenizerFileName = "tokenizer.json";

    private static readonly string[] SpecialNames = ["bos_token", "eos_token", "pad_token", "unk_token"];

    /// <summary>
    /// The template of the checkpoint in <paramref name="folder"/>, or null when it has none. A template that does not
    /// parse, or a malformed tokenizer_config.json, throws <see cref="InvalidDataException"/> naming the file (and the
    /// position for template errors).
    /// </summary>
    public static CheckpointChatTemplate? Load(string folder, IReadOnlyDictionary<string, long?> specialTokenIds)
    {
        var jinjaPath = Path.Combine(folder, JinjaFileName);
        var configPath = Path.Combine(folder, TokenizerConfigFileName);
        using var config = System.IO.File.Exists(configPath) ? ParseJson(configPath) : null;
        string? text = null, file = null;
        if (System.IO.File.Exists(jinjaPath))
        {
            (text, file) = (System.IO.File.ReadAllText(jinjaPath), JinjaFileName);
        }
        else if (config is not null && config.RootElement.TryGetProperty("chat_template", out var value) && value.ValueKind != JsonValueKind.Null)
        {
            (text, file) = (TemplateFromConfig(value, configPath), TokenizerConfigFileName);
        }

        if (text is null)
        {
            return null;
        }

        JinjaTemplate template;
        try
        {
            template = JinjaTemplate.Parse(text, file!);
        }
        catch (TemplateSyntaxException e)
        {
            throw new InvalidDataException($"the checkpoint's chat template cannot be served: {e.Message}", e);
        }

        return new CheckpointChatTemplate(template, file!, ReadSpecialTokens(folder, config?.RootElement, specialTokenIds));
    }

    private static string TemplateFromConfig(JsonElement value, string path)
    {
        if (value.ValueKind == JsonValueKind.String)
        {
            return value.GetString()!;
        }

        if (value.ValueKind == JsonValueKind.Array)
        {
            var names = new List<string>();
            foreach (var entry in value.EnumerateArray())
            {
                if (entry.ValueKind == JsonValueKind.Object && entry.TryGetProperty("name", out var name) && name.ValueKind == JsonValueKind.String
                    && entry.TryGetProperty("template", out var template) && template.ValueKind == JsonValueKind.String)
                {
                    if (name.GetString() == "default")
                    {
                        return template.GetString()!;
                    }

                    names.Add(name.GetString()!);
                    continue;
                }

                throw new InvalidDataException($"{path}: chat_template entries must be {{\"name\": ..., \"template\": ...}}");
            }

            throw new InvalidDataException($"{path}: chat_template has no template named 'default' (it has {string.Join(", ", names)})");
        }

        throw new InvalidDataException($"{path}: chat_template must be a string or a list of {{name, template}}");
    }

    private static Dictionary<string, string> ReadSpecialTokens(string folder, JsonElement? config, IReadOnlyDictionary<string, long?> ids)
    {
        var tokens = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var name in SpecialNames)
        {
            if (config is { } c && c.TryGetProperty(name, out var v))
            {
                var content = v.ValueKind == JsonValueKind.String ? v.GetString()
                    : v.ValueKind == JsonValueKind.Object && v.TryGetProperty("content", out var s) && s.ValueKind == JsonValueKind.String ? s.GetString()
                    : null;
                if (content is not null)
                {
                    tokens[name] = content;
                }
            }
        }

        var tokenizerPath = Path.Combine(folder, TokenizerFileName);
        if (SpecialNames.Any(n => !tokens.ContainsKey(n) && ids.GetValueOrDefault(n) is not null) && System.IO.File.Exists(tokenizerPath))
        {
            using var tokenizer = ParseJson(tokenizerPath);
            if (tokenizer.RootElement.TryGetProperty("added_tokens", out var added) && added.ValueKind == JsonValueKind.Array)
            {
                foreach (var name in SpecialNames.Where(n => !tokens.ContainsKey(n)))
                {
                    if (ids.GetValueOrDefault(name) is not { } id)
                    {
                        continue;
                    }

                    foreach (var token in added.EnumerateArray())
                    {
                        if (token.ValueKind == JsonValueKind.Object && token.TryGetProperty("id", out var tid) && tid.TryGetInt64(out var t) && t == id
                            && token.TryGetProperty("content", out var content) && content.ValueKind == JsonValueKind.String)
                        {
                            tokens[name] = content.GetString()!;
                        }
                    }
                }
            }
        }

        return tokens;
    }

    private static JsonDocument ParseJson(string path)
    {
        try
        {
            return JsonDocument.Parse(System.IO.File.ReadAllBytes(path));
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{path}: not valid JSON: {e.Message}", e);
        }
    }
}
