using System.Diagnostics;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;

namespace Nestor.Serving.Bench;

/// <summary>
/// <c>nestor bench serve</c>'s load: streaming completions against a running server, closed loop at a concurrency or
/// open loop at a rate, with prompt and output lengths drawn from ranges and a mix of budgets. Measures time to first
/// token, the gaps between streamed chunks (inter-token latency) and end-to-end latency, per budget.
/// </summary>
public sealed class LoadGenerator(HttpClient client)
{
    private sealed record Sample(string Budget, bool Ok, long Tokens, double TtftMs, List<double> GapsMs, double E2eMs);

    public async Task<LoadResult> RunAsync(LoadOptions options, CancellationToken cancellationToken = default)
    {
        var random = new Random(options.Seed);
        var model = await ModelNameAsync(cancellationToken);
        var plan = Enumerable.Range(0, options.Requests).Select(i => (
            Budget: PickBudget(options.Budgets, random),
            Prompt: Prompt(random, random.Next(options.PromptTokens.Min, options.PromptTokens.Max + 1)),
            MaxTokens: random.Next(options.OutputTokens.Min, options.OutputTokens.Max + 1),
            Seed: i)).ToArray();
        var samples = new Sample[plan.Length];
        var watch = Stopwatch.StartNew();
        if (options.Rate is { } rate)
        {
            var tasks = new List<Task>();
            double at = 0;
            for (int i = 0; i < plan.Length; i++)
            {
                at += -Math.Log(1 - random.NextDouble()) / rate;
                var delay = TimeSpan.FromSeconds(at) - watch.Elapsed;
                if (delay > TimeSpan.Zero)
                {
                    await Task.Delay(delay, cancellationToken);
                }

                int index = i;
                tasks.Add(Task.Run(async () => samples[index] = await SendAsync(model, plan[index], cancellationToken), cancellationToken));
            }

            await Task.WhenAll(tasks);
        }
        else
        {
            int next = -1;
            await Task.WhenAll(Enumerable.Range(0, Math.Max(1, options.Concurrency)).Select(_ => Task.Run(async () =>
            {
                int index;
                while ((index = Interlocked.Increment(ref next)) < plan.Length)
                {
                    samples[index] = await SendAsync(model, plan[index], cancellationToken);
                }
            }, cancellationToken)));
        }

        double seconds = watch.Elapsed.TotalSeconds;
        var mode = options.Rate is { } r ? $"open loop {r:G3} req/s" : $"closed loop c={options.Concurrency}";
        var budgets = samples.GroupBy(s => s.Budget).OrderBy(g => g.Key, StringComparer.Ordinal).Select(g => Figures(g.Key, [.. g], seconds)).ToList();
        return new LoadResult(mode, seconds, Figures("all", samples, seconds), budgets);
    }

    private static BudgetLoad Figures(string budget, IReadOnlyList<Sample> samples, double seconds)
    {
        var ok = samples.Where(s => s.Ok).ToList();
        long tokens = ok.Sum(s => s.Tokens);
        return new BudgetLoad(budget, samples.Count, samples.Count - ok.Count, tokens, ok.Count / seconds, tokens / seconds,
            Percentiles.Of([.. ok.Select(s => s.TtftMs)]), Percentiles.Of([.. ok.SelectMany(s => s.GapsMs)]), Percentiles.Of([.. ok.Select(s => s.E2eMs)]));
    }

    private async Task<Sample> SendAsync(string model, (string Budget, long[] Prompt, int MaxTokens, int Seed) request, CancellationToken cancellationToken)
    {
        var start = Stopwatch.GetTimestamp();
        double ttft = double.NaN;
        long last = 0, tokens = 0;
        var gaps = new List<double>();
        try
        {
            object body = request.Budget.Length == 0
                ? new { model, prompt = request.Prompt, max_tokens = request.MaxTokens, ignore_eos = true, stream = true, seed = request.Seed }
                : new { model, budget = request.Budget, prompt = request.Prompt, max_tokens = request.MaxTokens, ignore_eos = true, stream = true, seed = request.Seed };
            using var message = new HttpRequestMessage(HttpMethod.Post, "/v1/completions") { Content = JsonContent.Create(body) };
            using var response = await client.SendAsync(message, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
            if (!response.IsSuccessStatusCode)
            {
                return new Sample(request.Budget, false, 0, 0, gaps, 0);
            }

            using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(cancellationToken));
            bool done = false;
            while (await reader.ReadLineAsync(cancellationToken) is { } line)
            {
                if (!line.StartsWith("data: ", StringComparison.Ordinal))
                {
                    continue;
                }

                var data = line.AsSpan(6);
                if (data.SequenceEqual("[DONE]"))
                {
                    done = true;
                    break;
                }

                long now = Stopwatch.GetTimestamp();
                using var chunk = JsonDocument.Parse(line[6..]);
                if (chunk.RootElement.TryGetProperty("usage", out var usage))
                {
                    tokens = usage.GetProperty("completion_tokens").GetInt64();
                    continue;
                }

                if (double.IsNaN(ttft))
                {
                    ttft = Stopwatch.GetElapsedTime(start, now).TotalMilliseconds;
                }
                else
                {
                    gaps.Add(Stopwatch.GetElapsedTime(last, now).TotalMilliseconds);
                }

                last = now;
            }

            return new Sample(request.Budget, done, tokens, ttft, gaps, Stopwatch.GetElapsedTime(start).TotalMilliseconds);
        }
        catch (HttpRequestException)
        {
            return new Sample(request.Budget, false, 0, 0, gaps, 0);
        }
    }

    private async Task<string> ModelNameAsync(CancellationToken cancellationToken)
    {
        using var models = JsonDocument.Parse(await client.GetStringAsync("/v1/models", cancellationToken));
        return models.RootElement.GetProperty("data")[0].GetProperty("root").GetString()!;
    }

    private static string PickBudget(IReadOnlyList<(string Budget, double Weight)> budgets, Random random)
    {
        if (budgets.Count == 0)
        {
            return "";
        }

        double draw = random.NextDouble() * budgets.Sum(b => b.Weight);
        foreach (var (budget, weight) in budgets)
        {
            draw -= weight;
            if (draw < 0)
            {
                return budget;
            }
        }

        return budgets[^1].Budget;
    }

    // The prompt as token ids (OpenAI's `prompt` may be an array of ids), so that its length is exact whatever the
    // checkpoint's tokenizer: ids 97-122, the letters of the byte-level tokenizer and valid ids of any larger vocabulary.
    private static long[] Prompt(Random random, int tokens) => [.. Enumerable.Range(0, Math.Max(1, tokens)).Select(_ => (long)random.Next('a', 'z' + 1))];

    /// <summary>A table: one row per budget and the total.</summary>
    public static string Table(LoadResult result)
    {
        var text = new StringBuilder();
        text.AppendLine($"{result.Mode}, {result.All.Requests} requests in {result.Seconds:F1} s");
        text.AppendLine($"{"budget",-8} {"req",5} {"err",4} {"req/s",7} {"tok/s",8}   {"TTFT ms p50/p95/p99",-22} {"ITL ms p50/p95/p99",-22} {"E2E ms p50/p95/p99",-24}");
        foreach (var row in result.Budgets.Append(result.All))
        {
            static string P(Percentiles p) => $"{p.P50:F1}/{p.P95:F1}/{p.P99:F1}";
            text.AppendLine($"{(row.Budget.Length == 0 ? "default" : row.Budget),-8} {row.Requests,5} {row.Errors,4} {row.RequestsPerSecond,7:F2} {row.TokensPerSecond,8:F1}   {P(row.TtftMs),-22} {P(row.InterTokenMs),-22} {P(row.EndToEndMs),-24}");
        }

        return text.ToString().TrimEnd();
    }
}
