using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Nestor.Serving.Bench;
using Nestor.Serving.Engine;

namespace Nestor.Runtime.Commands;

/// <summary>
/// `nestor bench serve`: a load generator against a running server (--url), or with --checkpoint the `make
/// bench-serve` suite, which starts servers itself; the last line is one JSON object.
/// </summary>
public static class BenchServeCommand
{
    public static Command Build()
    {
        var url = new Option<string?>("--url") { Description = "A running server (http://host:port) to load." };
        var checkpoint = new Option<string?>("--checkpoint") { Description = "Instead: start servers on this checkpoint and measure the bench-serve figures." };
        var concurrency = new Option<int>("--concurrency") { Description = "Closed loop: requests in flight.", DefaultValueFactory = _ => 16 };
        var rate = new Option<double?>("--rate") { Description = "Open loop: requests per second (Poisson arrivals); overrides --concurrency." };
        var requests = new Option<int>("--requests") { Description = "Requests to send.", DefaultValueFactory = _ => 64 };
        var promptTokens = new Option<string>("--prompt-tokens") { Description = "Prompt length in tokens, N or MIN-MAX (uniform).", DefaultValueFactory = _ => "32-64" };
        var outputTokens = new Option<string>("--output-tokens") { Description = "Tokens generated per request, N or MIN-MAX (uniform).", DefaultValueFactory = _ => "128" };
        var budgets = new Option<string?>("--budgets") { Description = "Budget mix, e.g. full=3,b50=1 (default: the server's default budget)." };
        var json = new Option<string?>("--json") { Description = "Also write the result as JSON to this file." };
        var serverThreads = new Option<int>("--server-threads")
        {
            Description = "With --checkpoint: the servers' --threads (0: their default, every processor this process may use; steps of fewer tokens use fewer threads). " +
                "On a machine shared with other jobs, 1 measures the server rather than the load.",
        };
        var workPerThread = new Option<int>("--server-work-per-thread")
        {
            Description = "With --checkpoint: the servers' --work-per-thread (millions of parameter-tokens).",
            DefaultValueFactory = _ => (int)(StepThreads.DefaultWorkPerThread >> 20),
        };
        var maxPrefill = new Option<int>("--max-prefill-tokens") { Description = "With --checkpoint: the servers' --max-prefill-tokens (0: their default, prompts prefilled in one pass)." };
        var seed = new Option<int>("--seed") { Description = "Seed of the prompts and the mix.", DefaultValueFactory = _ => 1 };
        var steps = new Option<bool>("--steps") { Description = "With --checkpoint: time the engine's prefill, decode and sampling at batch 1 and 16 in this process (no server)." };
        var command = new Command("serve", "Load a server with streaming completions; report req/s, tok/s and TTFT, inter-token and end-to-end latency p50/p95/p99 per budget.")
        {
            url, checkpoint, concurrency, rate, requests, promptTokens, outputTokens, budgets, json, serverThreads, workPerThread, maxPrefill, seed, steps,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            try
            {
                var prompt = Range(parse.GetValue(promptTokens)!, "--prompt-tokens");
                var output = Range(parse.GetValue(outputTokens)!, "--output-tokens");
                if (parse.GetValue(checkpoint) is { } profiled && parse.GetValue(steps))
                {
                    OpenMpWaitPolicy.PreferPassive();
                    StepProfile.Run(profiled, parse.GetValue(serverThreads), (long)parse.GetValue(workPerThread) << 20, prompt, output.Max, Console.WriteLine);
                    return 0;
                }

                if (parse.GetValue(checkpoint) is { } folder)
                {
                    var result = await ServeBenchmark.RunAsync(new ServeBenchmark.Settings
                    {
                        Checkpoint = folder,
                        Nestor = Self(),
                        PromptTokens = prompt,
                        OutputTokens = output.Max,
                        ServerArguments = ["--threads", $"{parse.GetValue(serverThreads)}", "--work-per-thread", $"{parse.GetValue(workPerThread)}",
                            "--max-prefill-tokens", $"{parse.GetValue(maxPrefill)}"],
                    }, Console.WriteLine, cancellationToken);
                    if (parse.GetValue(json) is { } file)
                    {
                        await File.WriteAllTextAsync(file, result.ToJson(), cancellationToken);
                    }

                    Console.WriteLine(result.ToJson());
                    return 0;
                }

                var target = parse.GetValue(url) ?? throw new ArgumentException("give --url (a running server) or --checkpoint (the bench-serve suite)");
                var options = new LoadOptions
                {
                    Url = new Uri(target),
                    Concurrency = parse.GetValue(concurrency),
                    Rate = parse.GetValue(rate),
                    Requests = parse.GetValue(requests),
                    PromptTokens = prompt,
                    OutputTokens = output,
                    Budgets = Mix(parse.GetValue(budgets)),
                    Seed = parse.GetValue(seed),
                };
                using var client = new HttpClient { BaseAddress = options.Url, Timeout = TimeSpan.FromMinutes(10) };
                var load = await new LoadGenerator(client).RunAsync(options, cancellationToken);
                Console.WriteLine(LoadGenerator.Table(load));
                var text = JsonSerializer.Serialize(load);
                if (parse.GetValue(json) is { } path)
                {
                    await File.WriteAllTextAsync(path, text, cancellationToken);
                }

                Console.WriteLine(text);
                return 0;
            }
            catch (ArgumentException e)
            {
                await Console.Error.WriteLineAsync($"nestor bench serve: {e.Message}");
                return 2;
            }
        });
        return command;
    }

    /// <summary>How to start this same `nestor` again (the apphost, or dotnet and the assembly).</summary>
    private static string[] Self()
    {
        var process = Environment.ProcessPath ?? "dotnet";
        return Path.GetFileNameWithoutExtension(process) == "dotnet"
            ? [process, typeof(BenchServeCommand).Assembly.Location]
            : [process];
    }

    private static (int Min, int Max) Range(string text, string option)
    {
        var parts = text.Split('-');
        if (parts.Length is 1 or 2 && parts.All(p => int.TryParse(p, NumberStyles.None, CultureInfo.InvariantCulture, out var v) && v > 0))
        {
            int min = int.Parse(parts[0], CultureInfo.InvariantCulture), max = int.Parse(parts[^1], CultureInfo.InvariantCulture);
            if (min <= max)
            {
                return (min, max);
            }
        }

        throw new ArgumentException($"{option} '{text}': expected N or MIN-MAX (positive integers)");
    }

    private static IReadOnlyList<(string, double)> Mix(string? text) =>
        string.IsNullOrWhiteSpace(text)
            ? []
            : [.. text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(item =>
            {
                var kv = item.Split('=');
                return kv.Length == 1 ? (kv[0], 1.0)
                    : kv.Length == 2 && double.TryParse(kv[1], CultureInfo.InvariantCulture, out var w) && w > 0 ? (kv[0], w)
                    : throw new ArgumentException($"--budgets '{item}': expected BUDGET or BUDGET=WEIGHT");
            })];
}
