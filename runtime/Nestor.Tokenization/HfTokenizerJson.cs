using System.Text.Json;
using System.Text.RegularExpressions;

namespace Nestor.Tokenization;

/// <summary>
/// Reads a Hugging Face tokenizer.json with System.Text.Json and keeps to what Nestor supports: model BPE over GPT-2's
/// byte-level alphabet, pre_tokenizer ByteLevel (GPT-2's split) or Sequence[Split(regex, Isolated), ByteLevel(use_regex
/// false)], decoder ByteLevel, no normalizer. Anything else is refused, naming the file and the field.
/// </summary>
public static class HfTokenizerJson
{
    /// <summary>The split of GPT-2 that the ByteLevel pre-tokenizer applies when use_regex is true.</summary>
    public const string Gpt2SplitPattern = @"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+";

    private const string Supported = "Nestor supports byte-level BPE tokenizers: model BPE, pre_tokenizer ByteLevel or Sequence[Split(Regex), ByteLevel(use_regex=false)], decoder ByteLevel, no normalizer";

    private static readonly TimeSpan RegexTimeout = TimeSpan.FromSeconds(2);

    public static HfTokenizerSpec Read(string path)
    {
        JsonElement root;
        try
        {
            using var stream = File.OpenRead(path);
            using var document = JsonDocument.Parse(stream, new JsonDocumentOptions { MaxDepth = 64 });
            root = document.RootElement.Clone();
        }
        catch (JsonException e)
        {
            throw new TokenizerFormatException($"{path}: not valid JSON: {e.Message}");
        }

        if (root.ValueKind != JsonValueKind.Object)
        {
            throw new TokenizerFormatException($"{path}: expected a JSON object at the top level");
        }

        var reader = new Reader(path);
        if (Present(root, "normalizer") is { } normalizer)
        {
            throw reader.Unsupported("normalizer", TypeOf(normalizer));
        }

        var model = root.TryGetProperty("model", out var m) && m.ValueKind == JsonValueKind.Object ? m : throw reader.Bad("model", "is missing or not an object");
        var (vocabulary, merges, ignoreMerges, unknown) = ReadModel(reader, model);
        var added = ReadAddedTokens(reader, root);
        var splitter = ReadPreTokenizer(reader, Present(root, "pre_tokenizer"));
        ReadDecoder(reader, Present(root, "decoder"));
        if (Present(root, "post_processor") is { } post && TypeOf(post) is not ("ByteLevel" or "TemplateProcessing"))
        {
            throw reader.Unsupported("post_processor", TypeOf(post));
        }

        return new HfTokenizerSpec(path, vocabulary, merges, added, splitter, ignoreMerges, unknown);
    }

    private static (Dictionary<string, int> Vocabulary, List<string> Merges, bool IgnoreMerges, string? Unknown) ReadModel(Reader reader, JsonElement model)
    {
        var type = model.TryGetProperty("type", out var t) ? t.GetString() : model.TryGetProperty("merges", out _) ? "BPE" : null;
        if (type != "BPE")
        {
            throw reader.Unsupported("model.type", type ?? "(none)");
        }

        if (Present(model, "dropout") is { } dropout && !(dropout.ValueKind == JsonValueKind.Number && dropout.GetDouble() == 0))
        {
            throw reader.Unsupported("model.dropout", dropout.GetRawText());
        }

        foreach (var field in new[] { "continuing_subword_prefix", "end_of_word_suffix" })
        {
            if (Present(model, field) is { } value && value.GetString() is { Length: > 0 } text)
            {
                throw reader.Unsupported($"model.{field}", text);
            }
        }

        if (model.TryGetProperty("byte_fallback", out var fallback) && fallback.ValueKind == JsonValueKind.True)
        {
            throw reader.Unsupported("model.byte_fallback", "true (sentencepiece-style byte fallback)");
        }

        if (!model.TryGetProperty("vocab", out var vocab) || vocab.ValueKind != JsonValueKind.Object)
        {
            throw reader.Bad("model.vocab", "is missing or not an object");
        }

        var vocabulary = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var entry in vocab.EnumerateObject())
        {
            if (entry.Value.ValueKind != JsonValueKind.Number || !entry.Value.TryGetInt32(out int id) || id < 0)
            {
                throw reader.Bad($"model.vocab[{JsonSerializer.Serialize(entry.Name)}]", "is not a non-negative integer id");
            }

            vocabulary[entry.Name] = id;
        }

        var merges = new List<string>();
        if (Present(model, "merges") is { } list)
        {
            if (list.ValueKind != JsonValueKind.Array)
            {
                throw reader.Bad("model.merges", "is not an array");
            }

            int i = 0;
            foreach (var merge in list.EnumerateArray())
            {
                merges.Add(ReadMerge(reader, merge, $"model.merges[{i++}]"));
            }
        }

        bool ignoreMerges = model.TryGetProperty("ignore_merges", out var ignore) && ignore.ValueKind == JsonValueKind.True;
        string? unknown = Present(model, "unk_token")?.GetString();
        return (vocabulary, merges, ignoreMerges, unknown);
    }

    /// <summary>A merge as "left right": tokenizers writes "a b" strings (older files) or ["a", "b"] pairs (newer ones).</summary>
    private static string ReadMerge(Reader reader, JsonElement merge, string at)
    {
        if (merge.ValueKind == JsonValueKind.String)
        {
            var text = merge.GetString()!;
            return text.Split(' ').Length == 2 ? text : throw reader.Bad(at, $"'{text}' is not two tokens separated by one space");
        }

        if (merge.ValueKind == JsonValueKind.Array && merge.GetArrayLength() == 2 && merge.EnumerateArray().All(p => p.ValueKind == JsonValueKind.String))
        {
            var (left, right) = (merge[0].GetString()!, merge[1].GetString()!);
            if (left.Length == 0 || right.Length == 0 || left.Contains(' ') || right.Contains(' '))
            {
                throw reader.Unsupported(at, $"a merge of tokens that are empty or hold a space ({merge.GetRawText()})");
            }

            return $"{left} {right}";
        }

        throw reader.Bad(at, "is neither \"a b\" nor [\"a\", \"b\"]");
    }

    private static List<AddedToken> ReadAddedTokens(Reader reader, JsonElement root)
    {
        var added = new List<AddedToken>();
        if (Present(root, "added_tokens") is not { } list)
        {
            return added;
        }

        int i = 0;
        foreach (var token in list.EnumerateArray())
        {
            var at = $"added_tokens[{i++}]";
            if (token.ValueKind != JsonValueKind.Object || !token.TryGetProperty("id", out var id) || !id.TryGetInt32(out int value) || value < 0
                || !token.TryGetProperty("content", out var content) || content.ValueKind != JsonValueKind.String || content.GetString()!.Length == 0)
            {
                throw reader.Bad(at, "needs a non-negative integer 'id' and a non-empty string 'content'");
            }

            foreach (var flag in new[] { "lstrip", "rstrip", "single_word" })
            {
                if (token.TryGetProperty(flag, out var f) && f.ValueKind == JsonValueKind.True)
                {
                    throw reader.Unsupported($"{at}.{flag}", "true");
                }
            }

            added.Add(new AddedToken(value, content.GetString()!, token.TryGetProperty("special", out var s) && s.ValueKind == JsonValueKind.True));
        }

        return added;
    }

    private static Regex ReadPreTokenizer(Reader reader, JsonElement? pre)
    {
        if (pre is not { } p)
        {
            throw reader.Unsupported("pre_tokenizer", "(none)");
        }

        switch (TypeOf(p))
        {
            case "ByteLevel":
                CheckByteLevel(reader, p, "pre_tokenizer", useRegex: true);
                return NewRegex(reader, Gpt2SplitPattern, "pre_tokenizer");
            case "Sequence":
                var steps = p.TryGetProperty("pretokenizers", out var s) && s.ValueKind == JsonValueKind.Array ? s : throw reader.Bad("pre_tokenizer.pretokenizers", "is missing or not an array");
                if (steps.GetArrayLength() != 2 || TypeOf(steps[0]) != "Split" || TypeOf(steps[1]) != "ByteLevel")
                {
                    throw reader.Unsupported("pre_tokenizer.pretokenizers", "[" + string.Join(", ", steps.EnumerateArray().Select(TypeOf)) + "] (expected [Split, ByteLevel])");
                }

                CheckByteLevel(reader, steps[1], "pre_tokenizer.pretokenizers[1]", useRegex: false);
                return ReadSplit(reader, steps[0], "pre_tokenizer.pretokenizers[0]");
            default:
                throw reader.Unsupported("pre_tokenizer.type", TypeOf(p));
        }
    }

    private static Regex ReadSplit(Reader reader, JsonElement split, string at)
    {
        if (split.TryGetProperty("behavior", out var behavior) && behavior.GetString() != "Isolated")
        {
            throw reader.Unsupported($"{at}.behavior", behavior.GetString() ?? "(null)");
        }

        if (split.TryGetProperty("invert", out var invert) && invert.ValueKind == JsonValueKind.True)
        {
            throw reader.Unsupported($"{at}.invert", "true");
        }

        if (!split.TryGetProperty("pattern", out var pattern) || pattern.ValueKind != JsonValueKind.Object)
        {
            throw reader.Bad($"{at}.pattern", "is missing or not an object");
        }

        if (pattern.TryGetProperty("Regex", out var regex) && regex.ValueKind == JsonValueKind.String)
        {
            return NewRegex(reader, regex.GetString()!, $"{at}.pattern.Regex");
        }

        if (pattern.TryGetProperty("String", out var literal) && literal.ValueKind == JsonValueKind.String && literal.GetString()!.Length > 0)
        {
            return NewRegex(reader, Regex.Escape(literal.GetString()!), $"{at}.pattern.String");
        }

        throw reader.Bad($"{at}.pattern", "needs a 'Regex' or a non-empty 'String'");
    }

    private static void CheckByteLevel(Reader reader, JsonElement byteLevel, string at, bool useRegex)
    {
        if (byteLevel.TryGetProperty("add_prefix_space", out var prefix) && prefix.ValueKind == JsonValueKind.True)
        {
            throw reader.Unsupported($"{at}.add_prefix_space", "true");
        }

        bool regex = !byteLevel.TryGetProperty("use_regex", out var r) || r.ValueKind != JsonValueKind.False;
        if (regex != useRegex)
        {
            throw reader.Unsupported($"{at}.use_regex", regex ? "true after a Split" : "false without a Split before it");
        }
    }

    private static void ReadDecoder(Reader reader, JsonElement? decoder)
    {
        if (decoder is not { } d || TypeOf(d) != "ByteLevel")
        {
            throw reader.Unsupported("decoder", decoder is { } x ? TypeOf(x) : "(none)");
        }
    }

    private static Regex NewRegex(Reader reader, string pattern, string at)
    {
        try
        {
            return new Regex(pattern, RegexOptions.CultureInvariant | RegexOptions.Compiled, RegexTimeout);
        }
        catch (ArgumentException e)
        {
            throw reader.Unsupported(at, $"a regex .NET cannot compile ({e.Message})");
        }
    }

    private static JsonElement? Present(JsonElement parent, string name) =>
        parent.TryGetProperty(name, out var value) && value.ValueKind != JsonValueKind.Null ? value : null;

    private static string TypeOf(JsonElement element) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty("type", out var t) && t.ValueKind == JsonValueKind.String ? t.GetString()! : element.ValueKind.ToString();

    private sealed class Reader(string path)
    {
        public TokenizerFormatException Unsupported(string field, string value) =>
            new($"{path}: unsupported {field}: {value}. {Supported}");

        public TokenizerFormatException Bad(string field, string problem) => new($"{path}: {field} {problem}");
    }
}
