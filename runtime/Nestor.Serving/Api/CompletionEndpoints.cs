using System.Diagnostics;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Logging;
using Nestor.Serving.Engine;
using Nestor.Serving.Scheduling;

namespace Nestor.Serving.Api;

/// <summary>
/// POST /v1/completions and /v1/chat/completions: validate, tokenise, hand to the scheduler, and answer as one JSON
/// object or as server-sent events in OpenAI's chunk format ending with <c>data: [DONE]</c>.
/// </summary>
public sealed class CompletionEndpoints(Scheduler scheduler, ModelCatalog catalog, ITokenizer tokenizer, int vocabSize, ServeOptions options,
    ServingMetrics metrics, ILogger logger, ChatTemplate? chatTemplate = null)
{
    private readonly ChatTemplate _chatTemplate = chatTemplate ?? ChatTemplate.Builtin;

    public const string ServedBudgetHeader = "x-nestor-served-budget";
    public const string DegradeHeader = "x-nestor-degrade";
    public const string MaxWaitHeader = "x-nestor-max-wait-ms";

    public Task Completions(HttpContext context) => HandleAsync(context, chat: false);

    public Task ChatCompletions(HttpContext context) => HandleAsync(context, chat: true);

    private async Task HandleAsync(HttpContext context, bool chat)
    {
        var aborted = context.RequestAborted;
        try
        {
            if (!scheduler.IsReady)
            {
                var reason = scheduler.IsDraining ? "rejected_draining" : "rejected_not_ready";
                metrics.Requests.WithLabels("", reason).Inc();
                throw new ApiError(503, scheduler.IsDraining ? "The server is shutting down; retry on another replica." : "The model is still loading.",
                    "service_unavailable")
                { RetryAfter = TimeSpan.FromSeconds(1) };
            }

            var parsed = RequestParser.Parse(await ReadBodyAsync(context.Request, aborted), chat, catalog, _chatTemplate);
            var request = ToGeneration(parsed, chat, context.Request.Headers);
            var submitted = scheduler.Submit(request);
            var sequence = submitted.Status switch
            {
                SubmitStatus.Accepted => submitted.Sequence!,
                SubmitStatus.QueueFull => Reject(request.Budget, "rejected_queue_full",
                    new ApiError(429, $"The queue is full ({options.MaxQueue} requests waiting); retry later.", "rate_limit_error", code: "queue_full") { RetryAfter = submitted.RetryAfter }),
                SubmitStatus.Draining => Reject(request.Budget, "rejected_draining",
                    new ApiError(503, "The server is shutting down; retry on another replica.", "service_unavailable") { RetryAfter = submitted.RetryAfter }),
                _ => Reject(request.Budget, "rejected_not_ready",
                    new ApiError(503, "The model is still loading.", "service_unavailable") { RetryAfter = submitted.RetryAfter }),
            };
            using var cancel = aborted.Register(sequence.Cancel);
            var reply = new Reply(chat, chat ? "chatcmpl-" : "cmpl-", catalog.IdOf(sequence.Budget), sequence.Budget, sequence.Degraded,
                DateTimeOffset.UtcNow.ToUnixTimeSeconds());
            context.Response.Headers[ServedBudgetHeader] = sequence.Budget;
            if (parsed.Stream)
            {
                await StreamAsync(context, sequence, reply, aborted);
            }
            else
            {
                await RespondAsync(context, sequence, reply, aborted);
            }
        }
        catch (ApiError error)
        {
            if (!context.Response.HasStarted)
            {
                await error.WriteAsync(context.Response, aborted);
            }
        }
        catch (Exception e) when (e is OperationCanceledException or IOException && aborted.IsCancellationRequested)
        {
            // The client went away; its sequence was cancelled through the registration above.
        }
    }

    private Sequence Reject(string budget, string outcome, ApiError error)
    {
        metrics.Requests.WithLabels(budget, outcome).Inc();
        throw error;
    }

    private GenerationRequest ToGeneration(ParsedRequest parsed, bool chat, IHeaderDictionary headers)
    {
        var prompt = parsed.PromptTokens ?? (chat ? _chatTemplate.Encode(parsed.PromptText!, tokenizer) : tokenizer.EncodePrompt(parsed.PromptText!));
        if (prompt.Count == 0)
        {
            throw ApiError.BadField(parsed.PromptTokens is null ? (parsed.PromptText is null ? "messages" : "prompt") : "prompt", "The prompt is empty.");
        }

        if (prompt.Any(t => t >= vocabSize))
        {
            throw ApiError.BadField("prompt", $"'prompt' holds a token id beyond the vocabulary ({vocabSize} ids).");
        }

        if (prompt.Count > options.MaxPromptTokens)
        {
            throw new ApiError(400, $"The prompt is {prompt.Count} tokens, more than this server's limit of {options.MaxPromptTokens}.",
                "invalid_request_error", "prompt", "context_length_exceeded");
        }

        if (parsed.MaxTokens > options.MaxTokens)
        {
            throw ApiError.BadField("max_tokens", $"'max_tokens' is {parsed.MaxTokens}, more than this server's limit of {options.MaxTokens}.");
        }

        bool degrade = parsed.AllowDegrade || headers[DegradeHeader].ToString() is "1" or "true" or "allow";
        var maxWait = parsed.MaxWait;
        if (maxWait is null && headers.TryGetValue(MaxWaitHeader, out var header))
        {
            maxWait = long.TryParse(header.ToString(), out var ms) && ms >= 0
                ? TimeSpan.FromMilliseconds(ms)
                : throw ApiError.BadField(MaxWaitHeader, $"The header '{MaxWaitHeader}' must be a non-negative integer.");
        }

        return new GenerationRequest
        {
            Budget = parsed.Budget,
            Prompt = prompt,
            MaxTokens = parsed.MaxTokens ?? options.MaxTokens,
            Sampling = parsed.Sampling,
            Stop = parsed.Stop,
            IgnoreEos = parsed.IgnoreEos,
            AllowDegrade = degrade,
            MaxWait = maxWait ?? options.DegradeWait,
        };
    }

    private async Task<JsonElement> ReadBodyAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        if (request.ContentLength > options.MaxBodyBytes)
        {
            throw TooLarge();
        }

        try
        {
            using var document = await JsonDocument.ParseAsync(request.Body, cancellationToken: cancellationToken);
            return document.RootElement.Clone();
        }
        catch (JsonException e)
        {
            throw ApiError.BadField("body", $"The request body is not valid JSON: {e.Message}");
        }
        catch (BadHttpRequestException e) when (e.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            throw TooLarge();
        }
    }

    private ApiError TooLarge() =>
        new(413, $"The request body is larger than this server's limit of {options.MaxBodyBytes} bytes.", "invalid_request_error", "body", "request_too_large");

    private static async Task RespondAsync(HttpContext context, Sequence sequence, Reply reply, CancellationToken cancellationToken)
    {
        var text = new System.Text.StringBuilder();
        SequenceEvent last = default;
        await foreach (var e in sequence.Events.ReadAllAsync(cancellationToken))
        {
            text.Append(e.Text);
            last = e;
        }

        if (last.FinishReason == FinishReasons.Error)
        {
            throw new ApiError(500, "The engine failed while generating this request.", "server_error");
        }

        context.Response.ContentType = "application/json";
        await context.Response.WriteAsync(Json.Serialize(reply.Whole(text.ToString(), last)), cancellationToken);
    }

    private async Task StreamAsync(HttpContext context, Sequence sequence, Reply reply, CancellationToken cancellationToken)
    {
        var response = context.Response;
        context.Features.Get<IHttpResponseBodyFeature>()?.DisableBuffering();
        response.ContentType = "text/event-stream";
        response.Headers.CacheControl = "no-cache";
        await response.StartAsync(cancellationToken);
        var events = new ServerSentEvents(response.BodyWriter);
        if (reply.Chat)
        {
            events.Write(reply.ChatRoleChunk());
        }

        var watch = Stopwatch.StartNew();
        // Every event that is ready goes out in one flush: a client or a connection that fell behind catches up in one
        // send instead of one per token.
        while (await sequence.Events.WaitToReadAsync(cancellationToken))
        {
            while (sequence.Events.TryRead(out var e))
            {
                if (e.Text.Length > 0)
                {
                    events.Write(reply.Chunk(e.Text, null));
                }

                if (e.IsFinal)
                {
                    if (e.FinishReason == FinishReasons.Error)
                    {
                        events.Write(new { error = new { message = "The engine failed while generating this request.", type = "server_error", param = (string?)null, code = (string?)null } });
                    }
                    else
                    {
                        events.Write(reply.Chunk("", e.FinishReason));
                        events.Write(reply.UsageChunk(e));
                    }
                }
            }

            await response.BodyWriter.FlushAsync(cancellationToken);
        }

        events.WriteDone();
        await response.BodyWriter.FlushAsync(cancellationToken);
        logger.LogDebug("streamed {Budget} in {Ms} ms", sequence.Budget, watch.ElapsedMilliseconds);
    }
}
