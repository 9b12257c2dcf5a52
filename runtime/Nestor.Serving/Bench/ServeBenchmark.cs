using System.Text.Json;
using Nestor.Checkpoint;

namespace Nestor.Serving.Bench;

/// <summary>The figures `make bench-serve` prints last (as one JSON object).</summary>
public sealed record ServeBenchmarkResult(
    double BatchingSpeedupC16,
    double SmallestVsFullThroughput,
    double RssAllBudgetsOverFullOnly,
    double TtftP99MsC16,
    double BatchingSpeedupC16Cpu = double.NaN,
    double SmallestVsFullCpu = double.NaN)
{
    public string ToJson() => JsonSerializer.Serialize(new Dictionary<string, double>
    {
        ["batching_speedup_c16"] = Math.Round(BatchingSpeedupC16, 3),
        ["smallest_vs_full_throughput"] = Math.Round(SmallestVsFullThroughput, 3),
        ["rss_all_budgets_over_full_only"] = Math.Round(RssAllBudgetsOverFullOnly, 3),
        ["ttft_p99_ms_c16"] = Math.Round(TtftP99MsC16, 1),
        ["batching_speedup_c16_per_cpu_second"] = Math.Round(BatchingSpeedupC16Cpu, 3),
        ["smallest_vs_full_per_cpu_second"] = Math.Round(SmallestVsFullCpu, 3),
    });
}

/// <summary>
/// `make bench-serve`: starts `nestor serve` on a checkpoint (all budgets) and measures output tokens/s of the full
/// budget at concurrency 1 and 16 and of the smallest budget at 16, in alternating rounds; then the resident memory of
/// that process against one started with `--load-only` the full budget after a concurrency-16 load on it.
/// </summary>
public static class ServeBenchmark
{
    public sealed record Settings
    {
        public required string Checkpoint { get; init; }

        /// <summary>How to run `nestor` (the executable, or dotnet and the assembly).</summary>
        public required IReadOnlyList<string> Nestor { get; init; }

        public int Rounds { get; init; } = 3;

        public int RequestsC1 { get; init; } = 6;

        public int RequestsC16 { get; init; } = 48;

        public (int Min, int Max) PromptTokens { get; init; } = (32, 64);

        public int OutputTokens { get; init; } = 128;

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

        // Tokens per CPU-second of the server process: on a machine shared with other jobs, wall-clock throughput
        // measures the neighbours as much as the server; the server's own CPU time does much less so.
        async Task<(LoadResult Load, double TokensPerCpuSecond)> Measure(ServerProcess server, string title, LoadOptions options)
        {
            var cpu = server.CpuTime();
            double forward = await ForwardSecondsAsync(server, cancellationToken);
            var result = await new LoadGenerator(server.Client).RunAsync(options, cancellationToken);
            double cpuSeconds = (server.CpuTime() - cpu).TotalSeconds;
            forward = await ForwardSecondsAsync(server, cancellationToken) - forward;
            log($"== {title}: server CPU {cpuSeconds:F2} s for {result.Seconds:F2} s, {result.All.OutputTokens / cpuSeconds:F0} tokens per CPU-second; " +
                $"forward passes {forward:F2} s ({forward / result.Seconds:P0} of the time)");
            log(LoadGenerator.Table(result));
            if (result.All.Errors > 0)
            {
                throw new InvalidOperationException($"{title}: {result.All.Errors} requests failed");
            }

            return (result, result.All.OutputTokens / cpuSeconds);
        }

        // The three loads alternate over rounds, so a change in the machine's other load hits them alike; each figure is
        // the median over rounds.
        var c1 = new List<(LoadResult Load, double TokensPerCpuSecond)>();
        var c16 = new List<(LoadResult Load, double TokensPerCpuSecond)>();
        var small = new List<(LoadResult Load, double TokensPerCpuSecond)>();
        long rssAll;
        await using (var server = await ServerProcess.StartAsync(settings.Nestor, common, TimeSpan.FromMinutes(5), cancellationToken))
        {
            foreach (var budget in checkpoint.Manifest.BySize)
            {
                await new LoadGenerator(server.Client).RunAsync(Load(budget.Name, 4, 8), cancellationToken); // warm-up
            }

            for (int round = 1; round <= settings.Rounds; round++)
            {
                c1.Add(await Measure(server, $"round {round}: {full}, concurrency 1", Load(full, 1, settings.RequestsC1)));
                c16.Add(await Measure(server, $"round {round}: {full}, concurrency 16", Load(full, 16, settings.RequestsC16)));
                small.Add(await Measure(server, $"round {round}: {smallest}, concurrency 16", Load(smallest, 16, settings.RequestsC16)));
            }

            await Task.Delay(TimeSpan.FromSeconds(1), cancellationToken); // idle: the server gives free heap pages back
            (rssAll, var peakAll) = server.Memory();
            log($"all budgets: RSS {rssAll / 1048576.0:F1} MiB (peak {peakAll / 1048576.0:F1} MiB)");
        }

        long rssFull;
        await using (var server = await ServerProcess.StartAsync(settings.Nestor, [.. common, "--load-only", full], TimeSpan.FromMinutes(5), cancellationToken))
        {
            await new LoadGenerator(server.Client).RunAsync(Load(full, 4, 8), cancellationToken);
            await Measure(server, $"{full} loaded alone, concurrency 16", Load(full, 16, settings.RequestsC16));
            await Task.Delay(TimeSpan.FromSeconds(1), cancellationToken);
            (rssFull, var peakFull) = server.Memory();
            log($"{full} only: RSS {rssFull / 1048576.0:F1} MiB (peak {peakFull / 1048576.0:F1} MiB)");
        }

        static double Median(IEnumerable<double> values)
        {
            var sorted = values.Order().ToArray();
            return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[(sorted.Length / 2) - 1] + sorted[sorted.Length / 2]) / 2;
        }

        double tps1 = Median(c1.Select(r => r.Load.All.TokensPerSecond)), tps16 = Median(c16.Select(r => r.Load.All.TokensPerSecond));
        double tpsSmall = Median(small.Select(r => r.Load.All.TokensPerSecond));
        double cpu1 = Median(c1.Select(r => r.TokensPerCpuSecond)), cpu16 = Median(c16.Select(r => r.TokensPerCpuSecond));
        double cpuSmall = Median(small.Select(r => r.TokensPerCpuSecond));
        var result = new ServeBenchmarkResult(tps16 / tps1, tpsSmall / tps16, (double)rssAll / rssFull, Median(c16.Select(r => r.Load.All.TtftMs.P99)), cpu16 / cpu1, cpuSmall / cpu16);
        log($"medians over {settings.Rounds} rounds: {full} c1 {tps1:F1} tok/s, c16 {tps16:F1} tok/s; {smallest} c16 {tpsSmall:F1} tok/s");
        log($"per CPU-second of the server: {full} c1 {cpu1:F0}, c16 {cpu16:F0}; {smallest} c16 {cpuSmall:F0} tokens; load average after: {(File.Exists("/proc/loadavg") ? File.ReadAllText("/proc/loadavg").Trim() : "n/a")}");
        return result;
    }

    /// <summary>Seconds the server's engine has spent in forward passes (the sum of nestor_forward_seconds over its labels).</summary>
    private static async Task<double> ForwardSecondsAsync(ServerProcess server, CancellationToken cancellationToken)
    {
        var text = await server.Client.GetStringAsync("/metrics", cancellationToken);
        return text.Split('\n')
            .Where(line => line.StartsWith("nestor_forward_seconds_sum{", StringComparison.Ordinal))
            .Sum(line => double.Parse(line[(line.LastIndexOf(' ') + 1)..], System.Globalization.CultureInfo.InvariantCulture));
    }
}
