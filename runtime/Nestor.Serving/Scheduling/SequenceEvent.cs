namespace Nestor.Serving.Scheduling;

/// <summary>What a sequence reports to its request: new text, and at the end the finish reason and token counts.</summary>
public readonly record struct SequenceEvent(string Text, string? FinishReason = null, int PromptTokens = 0, int CompletionTokens = 0)
{
    public bool IsFinal => FinishReason is not null;
}

/// <summary>Why a sequence ended (OpenAI's finish_reason values, plus two of the server's own).</summary>
public static class FinishReasons
{
    public const string Stop = "stop";
    public const string Length = "length";
    public const string Cancelled = "cancelled";
    public const string Error = "error";
}
