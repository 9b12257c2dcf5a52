using System.Text.Json;
using Nestor.Checkpoint;

namespace Nestor.Tokenization;

/// <summary>
/// The tokenizer of a checkpoint folder (docs/checkpoint-format.md): tokenizer.json when the folder has one, else the
/// byte-level tokenizer. Special ids come from config.json (bos/eos/pad_token_id), else from tokenizer_config.json
/// (bos/eos/pad_token, looked up in tokenizer.json); the model's vocab_size must cover every id the tokenizer makes.
/// </summary>
public static class CheckpointTokenizer
{
    public const string TokenizerFile = "tokenizer.json";
    public const string TokenizerConfigFile = "tokenizer_config.json";

    /// <summary>Loads the folder's tokenizer; a file Nestor cannot use throws <see cref="TokenizerFormatException"/>.</summary>
    public static ITokenizer Load(string folder, NemotronHConfig config)
    {
        var path = Path.Combine(folder, TokenizerFile);
        if (!File.Exists(path))
        {
            return new ByteTokenizer(config.BosTokenId, config.EosTokenId, config.PadTokenId);
        }

        var spec = HfTokenizerJson.Read(path);
        var named = ReadTokenizerConfig(Path.Combine(folder, TokenizerConfigFile));
        int? Resolve(int? fromConfig, string field)
        {
            if (fromConfig is not null || !named.TryGetValue(field, out var token))
            {
                return fromConfig;
            }

            return spec.IdOf(token) ?? throw new TokenizerFormatException(
                $"{Path.Combine(folder, TokenizerConfigFile)}: {field} '{token}' is not a token of {path}");
        }

        var tokenizer = HfTokenizer.Create(spec, Resolve(config.BosTokenId, "bos_token"), Resolve(config.EosTokenId, "eos_token"), Resolve(config.PadTokenId, "pad_token"));
        CheckCovers(tokenizer, config.VocabSize, Path.Combine(folder, "config.json"));
        return tokenizer;
    }

    /// <summary>Throws unless every id the tokenizer can produce, special ones included, is below the model's vocab_size.</summary>
    public static void CheckCovers(ITokenizer tokenizer, int vocabSize, string configPath)
    {
        int highest = new[] { tokenizer.IdCount - 1, tokenizer.BosTokenId ?? 0, tokenizer.EosTokenId ?? 0, tokenizer.PadTokenId ?? 0 }.Max();
        if (highest >= vocabSize)
        {
            throw new TokenizerFormatException(
                $"{configPath}: vocab_size {vocabSize} does not cover the tokenizer {tokenizer.Description}: its ids reach {highest}");
        }
    }

    /// <summary>bos_token, eos_token and pad_token of tokenizer_config.json: strings, or objects with "content".</summary>
    private static Dictionary<string, string> ReadTokenizerConfig(string path)
    {
        var named = new Dictionary<string, string>();
        if (!File.Exists(path))
        {
            return named;
        }

        JsonElement root;
        try
        {
            using var document = JsonDocument.Parse(File.ReadAllText(path));
            root = document.RootElement.Clone();
        }
        catch (JsonException e)
        {
            throw new TokenizerFormatException($"{path}: not valid JSON: {e.Message}");
        }

        foreach (var field in new[] { "bos_token", "eos_token", "pad_token" })
        {
            if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty(field, out var value) || value.ValueKind == JsonValueKind.Null)
            {
                continue;
            }

            var token = value.ValueKind == JsonValueKind.String ? value.GetString()
                : value.ValueKind == JsonValueKind.Object && value.TryGetProperty("content", out var c) && c.ValueKind == JsonValueKind.String ? c.GetString()
                : throw new TokenizerFormatException($"{path}: {field} is neither a string nor an object with 'content'");
            named[field] = token!;
        }

        return named;
    }
}
