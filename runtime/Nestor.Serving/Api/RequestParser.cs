using System.Text.Json;
using Nestor.Serving.Engine;

namespace Nestor.Serving.Api;

/// <summary>Validates the body of /v1/completions and /v1/chat/completions.</summary>
internal static class RequestParser
{
    public static ParsedRequest Parse(JsonElement root, bool chat, ModelCatalog catalog, ChatTemplate template)
    {
        if (root.ValueKind != JsonValueKind.Object)
        {
            throw ApiError.BadField("body", "The request body must be a JSON object.");
        }

        var f = new FieldReader(root);
        var model = f.RequiredString("model");
        var budget = catalog.Resolve(model, f.OptionalString("budget"));
        string? text = null;
        IReadOnlyList<long>? tokens = null;
        if (chat)
        {
            text = template.Render(f.Get("messages") ?? throw ApiError.BadField("messages", "'messages' is required."));
        }
        else
        {
            (text, tokens) = Prompt(f.Get("prompt") ?? throw ApiError.BadField("prompt", "'prompt' is required."));
        }

        f.OptionalInteger("n", 1, 1);

        if (f.Get("logprobs") is { } lp && lp.ValueKind is not JsonValueKind.False)
        {
            throw ApiError.BadField("logprobs", "'logprobs' is not supported.");
        }

        if (f.OptionalBool("echo", false))
        {
            throw ApiError.BadField("echo", "'echo' is not supported.");
        }

        long? maxTokens = f.OptionalInteger(chat && f.Has("max_completion_tokens") ? "max_completion_tokens" : "max_tokens", 1, int.MaxValue);
        var seed = f.OptionalInteger("seed", long.MinValue, long.MaxValue) ?? Random.Shared.NextInt64();
        var sampling = new SamplingParams
        {
            Temperature = f.OptionalNumber("temperature", 1.0, 0, 2),
            TopP = f.OptionalNumber("top_p", 1.0, double.Epsilon, 1),
            TopK = (int)(f.OptionalInteger("top_k", -1, int.MaxValue) ?? -1),
            Seed = seed,
        };
        if (f.Get("stream_options") is { } so && so.ValueKind != JsonValueKind.Object)
        {
            throw ApiError.BadField("stream_options", "'stream_options' must be an object.");
        }

        var maxWaitMs = f.OptionalInteger("max_wait_ms", 0, 3_600_000);
        return new ParsedRequest
        {
            Model = model,
            Budget = budget,
            PromptText = text,
            PromptTokens = tokens,
            Stream = f.OptionalBool("stream", false),
            MaxTokens = (int?)maxTokens,
            Sampling = sampling,
            Stop = f.Stop("stop"),
            IgnoreEos = f.OptionalBool("ignore_eos", false),
            AllowDegrade = f.OptionalBool("degrade", false),
            MaxWait = maxWaitMs is { } ms ? TimeSpan.FromMilliseconds(ms) : null,
        };
    }

    /// <summary>OpenAI's <c>prompt</c>: a string, an array of token ids, or an array holding one of those.</summary>
    private static (string? Text, IReadOnlyList<long>? Tokens) Prompt(JsonElement prompt)
    {
        if (prompt.ValueKind == JsonValueKind.String)
        {
            return (prompt.GetString(), null);
        }

        if (prompt.ValueKind == JsonValueKind.Array)
        {
            var items = prompt.EnumerateArray().ToList();
            if (items.Count > 0 && items.All(i => i.ValueKind == JsonValueKind.Number))
            {
                return (null, [.. items.Select(i => i.TryGetInt64(out var id) && id >= 0 ? id : throw ApiError.BadField("prompt", "'prompt' token ids must be non-negative integers."))]);
            }

            if (items.Count == 1)
            {
                return Prompt(items[0]);
            }

            throw ApiError.BadField("prompt", "'prompt' must be a string or an array of token ids (batches of prompts are not supported: send one request each).");
        }

        throw ApiError.BadField("prompt", "'prompt' must be a string or an array of token ids.");
    }
}
