using System.Text.Json;
using Nestor.Checkpoint;

namespace Nestor.Serving.Bench;

/// <summary>The figures `make bench-serve` prints last (as one JSON object).</summary>
public sealed record ServeBenchmarkResult(
    double BatchingSpeedupC16,
    double SmallestVsFullThroughput,
    double RssAllBudgetsOverFullOnly,
    double TtftP99MsC16)
{
    public string ToJson() => JsonSerializer.Serialize(new Dictionary<string, double>
    {
        ["batching_speedup_c16"] = Math.Round(BatchingSpeedupC16, 3),
        ["smallest_vs_full_throughput"] = Math.Round(SmallestVsFullThroughput, 3),
        ["rss_all_budgets_over_full_only"] = Math.Round(RssAllBudgetsOverFullOnly, 3),
        ["ttft_p99_ms_c16"] = Math.Round(TtftP99MsC16, 1),
    });
}

/// <summary>
/// `make bench-serve`: starts `nestor serve` on a checkpoint (all budgets) and measures output tokens/s of the full
/// budget at concurrency 1 and 16 and of the smallest budget at 16; then the resident memory of that process against
/// one started with `--load-only` the full budget, each after the same load on the full budget.
/// </summary>
public static class ServeBenchmark
{
    public sealed record Settings
    {
        public required string Checkpoint { get; init; }

        /// <summary>How to run `nestor` (the executable, or dotnet and the assembly).</summary>
        public required IReadOnlyList<string> Nestor { get; init; }

        public int RequestsC1 { get; init; } = 12;

        public int RequestsC16 { get; init; } = 96;

        public (int Min, int Max) PromptTokens { get; init; } = (32, 64);

        public int OutputTokens { get; init; } = 64;

        public IReadOnlyList<string> ServerArguments { get; init; } = [];
    }

    public static async Task<ServeBenchmarkResult> RunAsync(Settings settings, Action<string> log, CancellationToken cancellationToken = default)
    {
        using var checkpoint = CheckpointDirectory.Open(settings.Checkpoint);
        var full = checkpoint.Manifest.Default.Name;
        var smallest = checkpoint.Manifest.Smallest.Name;
        if (File.Exists("/proc/loadavg"))
        {
            log($"load average before: {File.ReadAllText("/proc/loadavg").Trim()} ({Environment.ProcessorCount} processors); server arguments: {string.Join(' ', settings.ServerArguments)}");
        }

        log($"checkpoint {settings.Checkpoint} ({checkpoint.Digest ?? "no digest"}): budgets {string.Join(", ", checkpoint.Manifest.BySize.Select(b => $"{b.Name} {b.Params:N0}"))}");
        string[] common = ["--checkpoint", settings.Checkpoint, "--max-batch", "16", "--max-tokens", $"{settings.OutputTokens}", "--max-prompt-tokens", $"{settings.PromptTokens.Max + 1}", .. settings.ServerArguments];

        LoadOptions Load(string budget, int concurrency, int requests) => new()
        {
            Url = new Uri("http://unused"),
            Concurrency = concurrency,
            Requests = requests,
            PromptTokens = settings.PromptTokens,
            OutputTokens = (settings.OutputTokens, settings.OutputTokens),
            Budgets = [(budget, 1)],
        };

        async Task<LoadResult> Measure(ServerProcess server, string title, LoadOptions options)
        {
            var result = await new LoadGenerator(server.Client).RunAsync(options, cancellationToken);
            log($"== {title}");
            log(LoadGenerator.Table(result));
            if (result.All.Errors > 0)
            {
                throw new InvalidOperationException($"{title}: {result.All.Errors} requests failed");
            }

            return result;
        }

        LoadResult c1, c16, small;
        long rssAll;
        await using (var server = await ServerProcess.StartAsync(settings.Nestor, common, TimeSpan.FromMinutes(5), cancellationToken))
        {
            foreach (var budget in checkpoint.Manifest.BySize)
            {
                await new LoadGenerator(server.Client).RunAsync(Load(budget.Name, 4, 8), cancellationToken); // warm-up
            }

            c1 = await Measure(server, $"{full}, concurrency 1", Load(full, 1, settings.RequestsC1));
            c16 = await Measure(server, $"{full}, concurrency 16", Load(full, 16, settings.RequestsC16));
            small = await Measure(server, $"{smallest}, concurrency 16", Load(smallest, 16, settings.RequestsC16));
            (rssAll, var peakAll) = server.Memory();
            log($"all budgets: RSS {rssAll / 1048576.0:F1} MiB (peak {peakAll / 1048576.0:F1} MiB)");
        }

        long rssFull;
        await using (var server = await ServerProcess.StartAsync(settings.Nestor, [.. common, "--load-only", full], TimeSpan.FromMinutes(5), cancellationToken))
        {
            await new LoadGenerator(server.Client).RunAsync(Load(full, 4, 8), cancellationToken);
            await Measure(server, $"{full} loaded alone, concurrency 16", Load(full, 16, settings.RequestsC16));
            (rssFull, var peakFull) = server.Memory();
            log($"{full} only: RSS {rssFull / 1048576.0:F1} MiB (peak {peakFull / 1048576.0:F1} MiB)");
        }

        var result = new ServeBenchmarkResult(
            c16.All.TokensPerSecond / c1.All.TokensPerSecond,
            small.All.TokensPerSecond / c16.All.TokensPerSecond,
            (double)rssAll / rssFull,
            c16.All.TtftMs.P99);
        log($"full c1 {c1.All.TokensPerSecond:F1} tok/s, c16 {c16.All.TokensPerSecond:F1} tok/s; {smallest} c16 {small.All.TokensPerSecond:F1} tok/s");
        return result;
    }
}
