using Nestor.Serving.Scheduling;

namespace Nestor.Serving.Api;

/// <summary>
/// OpenAI's response objects for one request: <c>text_completion</c> / <c>chat.completion</c> and their streamed
/// chunks. Two fields are Nestor's own: <c>served_budget</c> and <c>degraded</c>.
/// </summary>
internal sealed class Reply(bool chat, string idPrefix, string model, string servedBudget, bool degraded, long created)
{
    public bool Chat { get; } = chat;

    public string Id { get; } = idPrefix + Guid.NewGuid().ToString("N")[..24];

    public object Whole(string text, SequenceEvent final)
    {
        var usage = Usage(final);
        var finish = OpenAiFinish(final.FinishReason);
        return Chat
            ? new
            {
                id = Id,
                @object = "chat.completion",
                created,
                model,
                choices = new[] { new { index = 0, message = new { role = "assistant", content = text }, logprobs = (object?)null, finish_reason = finish } },
                usage,
                served_budget = servedBudget,
                degraded,
            }
            : new
            {
                id = Id,
                @object = "text_completion",
                created,
                model,
                choices = new[] { new { index = 0, text, logprobs = (object?)null, finish_reason = finish } },
                usage,
                served_budget = servedBudget,
                degraded,
            };
    }

    public object ChatRoleChunk() => new
    {
        id = Id,
        @object = "chat.completion.chunk",
        created,
        model,
        choices = new[] { new { index = 0, delta = new { role = "assistant", content = "" }, logprobs = (object?)null, finish_reason = (string?)null } },
        served_budget = servedBudget,
        degraded,
    };

    public object Chunk(string text, string? finishReason)
    {
        var finish = finishReason is null ? null : OpenAiFinish(finishReason);
        return Chat
            ? new
            {
                id = Id,
                @object = "chat.completion.chunk",
                created,
                model,
                choices = new[] { new { index = 0, delta = (object)(finish is null ? new { content = text } : new { }), logprobs = (object?)null, finish_reason = finish } },
                served_budget = servedBudget,
                degraded,
            }
            : new
            {
                id = Id,
                @object = "text_completion",
                created,
                model,
                choices = new object[] { new { index = 0, text, logprobs = (object?)null, finish_reason = finish } },
                served_budget = servedBudget,
                degraded,
            };
    }

    /// <summary>The last chunk before [DONE]: no choices, the usage (as with stream_options.include_usage).</summary>
    public object UsageChunk(SequenceEvent final) => new
    {
        id = Id,
        @object = Chat ? "chat.completion.chunk" : "text_completion",
        created,
        model,
        choices = Array.Empty<object>(),
        usage = Usage(final),
        served_budget = servedBudget,
        degraded,
    };

    private static object Usage(SequenceEvent final) => new
    {
        prompt_tokens = final.PromptTokens,
        completion_tokens = final.CompletionTokens,
        total_tokens = final.PromptTokens + final.CompletionTokens,
    };

    /// <summary>A client that went away never reads its finish reason; anything else is OpenAI's own value.</summary>
    private static string OpenAiFinish(string? reason) => reason == FinishReasons.Length ? "length" : "stop";
}
