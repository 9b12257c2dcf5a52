using System.CommandLine;
using Nestor.Serving;
using Nestor.Serving.Engine;
using Nestor.Serving.Hosting;

namespace Nestor.Runtime.Commands;

/// <summary>`nestor serve`: the OpenAI-compatible server for every budget of one checkpoint (docs/serving.md).</summary>
public static class ServeCommand
{
    public static Command Build()
    {
        var checkpoint = new Option<string>("--checkpoint") { Description = "The checkpoint folder (read only).", Required = true };
        var budgets = new Option<string?>("--budgets") { Description = "Comma-separated budgets to serve (default: all)." };
        var defaultBudget = new Option<string?>("--default-budget") { Description = "Budget of requests that name none (default: the largest served)." };
        var loadOnly = new Option<string?>("--load-only") { Description = "Materialise only this budget's slice of the weights, and serve it alone." };
        var maxBatch = new Option<int>("--max-batch") { Description = "Sequences per budget in the running batch.", DefaultValueFactory = _ => 16 };
        var maxQueue = new Option<int>("--max-queue") { Description = "Waiting requests (all budgets) before 429.", DefaultValueFactory = _ => 256 };
        var maxPrompt = new Option<int>("--max-prompt-tokens") { Description = "Longest prompt accepted, in tokens.", DefaultValueFactory = _ => 1024 };
        var maxPrefill = new Option<int>("--max-prefill-tokens") { Description = "Prompt tokens prefilled per budget per step; longer prompts are prefilled in chunks while running sequences go on decoding (0: every joined prompt at once)." };
        var maxTokens = new Option<int>("--max-tokens") { Description = "Largest max_tokens (and the default).", DefaultValueFactory = _ => 256 };
        var host = new Option<string>("--host") { Description = "Address to bind (an IP; 0.0.0.0 for all).", DefaultValueFactory = _ => "127.0.0.1" };
        var port = new Option<int>("--port") { Description = "Port (0: any free port).", DefaultValueFactory = _ => 8000 };
        var drain = new Option<double>("--drain-timeout") { Description = "Seconds SIGTERM waits for in-flight requests.", DefaultValueFactory = _ => 30 };
        var degradeWait = new Option<int>("--degrade-wait-ms") { Description = "Default wait bound before a request that allows it is served by a smaller budget.", DefaultValueFactory = _ => 1000 };
        var maxBody = new Option<long>("--max-body-bytes") { Description = "Largest request body (413 beyond).", DefaultValueFactory = _ => 1 << 20 };
        var threads = new Option<int>("--threads") { Description = "Intra-op CPU threads for the largest steps (0: the processors this process may use, container CPU limits included)." };
        var workPerThread = new Option<int>("--work-per-thread")
        {
            Description = "Work per intra-op thread, in millions of parameter-tokens (a step's tokens times its budget's parameters): a step with less work runs on fewer threads.",
            DefaultValueFactory = _ => (int)(StepThreads.DefaultWorkPerThread >> 20),
        };
        var command = new Command("serve", "Serve every budget of an elastic checkpoint over an OpenAI-compatible HTTP API.")
        {
            checkpoint, budgets, defaultBudget, loadOnly, maxBatch, maxQueue, maxPrompt, maxPrefill, maxTokens, host, port, drain, degradeWait, maxBody, threads, workPerThread,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            int[] positive = [parse.GetValue(maxBatch), parse.GetValue(maxQueue), parse.GetValue(maxPrompt), parse.GetValue(maxTokens), parse.GetValue(workPerThread)];
            if (positive.Any(v => v < 1) || parse.GetValue(port) is < 0 or > 65535 || parse.GetValue(drain) < 0 || parse.GetValue(maxBody) < 1 || parse.GetValue(maxPrefill) < 0
                || parse.GetValue(threads) < 0)
            {
                await Console.Error.WriteLineAsync("nestor serve: --max-batch, --max-queue, --max-prompt-tokens, --max-tokens, --work-per-thread and --max-body-bytes must be positive, --max-prefill-tokens and --threads ≥ 0, --port 0..65535, --drain-timeout ≥ 0");
                return 2;
            }

            var options = new ServeOptions
            {
                Checkpoint = parse.GetValue(checkpoint)!,
                Budgets = [.. (parse.GetValue(budgets) ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)],
                DefaultBudget = parse.GetValue(defaultBudget),
                LoadOnly = parse.GetValue(loadOnly),
                MaxBatch = parse.GetValue(maxBatch),
                MaxQueue = parse.GetValue(maxQueue),
                MaxPromptTokens = parse.GetValue(maxPrompt),
                MaxPrefillTokens = parse.GetValue(maxPrefill),
                MaxTokens = parse.GetValue(maxTokens),
                Host = parse.GetValue(host)!,
                Port = parse.GetValue(port),
                DrainTimeout = TimeSpan.FromSeconds(parse.GetValue(drain)),
                DegradeWait = TimeSpan.FromMilliseconds(parse.GetValue(degradeWait)),
                MaxBodyBytes = parse.GetValue(maxBody),
                Threads = parse.GetValue(threads),
                WorkPerThread = (long)parse.GetValue(workPerThread) << 20,
            };
            ServingHost server;
            try
            {
                OpenMpWaitPolicy.PreferPassive();
                server = ServingHost.Create(options);
            }
            catch (ServeConfigurationException e)
            {
                await Console.Error.WriteLineAsync($"nestor serve: {e.Message}");
                return 2;
            }

            await using (server)
            {
                return await server.RunAsync(CancellationToken.None);
            }
        });
        return command;
    }
}
