using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Nestor.Checkpoint;
using Nestor.Serving.Api;
using Nestor.Serving.Api.ChatTemplates;
using Nestor.Serving.Engine;
using Nestor.Serving.Scheduling;
using Prometheus;

namespace Nestor.Serving.Hosting;

/// <summary>
/// <c>nestor serve</c> as a web application: Kestrel on <see cref="ServeOptions.Host"/>:<see cref="ServeOptions.Port"/>,
/// the OpenAI endpoints, health, readiness and metrics. The model loads on the engine thread after the server started
/// listening, so /healthz answers at once and /readyz turns ready after the load and a warm-up step. On shutdown
/// (SIGTERM) the server is not ready at once, refuses new requests with 503, and lets in-flight ones finish for up to
/// <see cref="ServeOptions.DrainTimeout"/>.
/// </summary>
public sealed class ServingHost : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly CheckpointDirectory _checkpoint;

    private readonly ServeOptions _options;
    private readonly ILogger _logger;

    private ServingHost(WebApplication app, Scheduler scheduler, CheckpointDirectory checkpoint, ServingMetrics metrics, ServeOptions options, ILogger logger)
    {
        _options = options;
        _logger = logger;
        _app = app;
        Scheduler = scheduler;
        _checkpoint = checkpoint;
        Metrics = metrics;
    }

    public Scheduler Scheduler { get; }

    public ServingMetrics Metrics { get; }

    /// <summary>The address Kestrel listens on (with the port it picked when asked for port 0).</summary>
    public Uri Address => new(_app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());

    /// <summary>Opens and checks the checkpoint and the options (throws <see cref="ServeConfigurationException"/>), builds the app.</summary>
    public static ServingHost Create(ServeOptions options, Action<ILoggingBuilder>? logging = null)
    {
        var checkpoint = OpenCheckpoint(options.Checkpoint);
        try
        {
            return Create(options, checkpoint, logging);
        }
        catch
        {
            checkpoint.Dispose();
            throw;
        }
    }

    private static ServingHost Create(ServeOptions options, CheckpointDirectory checkpoint, Action<ILoggingBuilder>? logging)
    {
        var manifest = checkpoint.Manifest;
        var served = ServedBudgets(options, manifest);
        var defaultBudget = options.DefaultBudget ?? served[0];
        if (!served.Contains(defaultBudget))
        {
            throw new ServeConfigurationException($"--default-budget '{defaultBudget}' is not among the served budgets ({string.Join(", ", served)})");
        }

        ITokenizer tokenizer;
        try
        {
            tokenizer = CheckpointTokenizer.Load(checkpoint.Path, checkpoint.Config);
        }
        catch (TokenizerFormatException e)
        {
            throw new ServeConfigurationException(e.Message);
        }

        var chatTemplate = LoadChatTemplate(checkpoint);
        var address = ParseHost(options.Host);
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        if (logging is null)
        {
            builder.Logging.AddSimpleConsole(o => { o.SingleLine = true; o.TimestampFormat = "HH:mm:ss.fff "; });
        }
        else
        {
            logging(builder.Logging);
        }

        builder.Logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);

        builder.WebHost.UseKestrel(k =>
        {
            k.Limits.MaxRequestBodySize = options.MaxBodyBytes;
            k.Listen(address, options.Port);
        });
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = options.DrainTimeout + TimeSpan.FromSeconds(5));
        var app = builder.Build();
        var logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("Nestor.Serving");
        logger.LogInformation("chat template: {ChatTemplate}", chatTemplate.Description);
        var metrics = new ServingMetrics();
        logger.LogInformation("tokenizer {Tokenizer}: bos {Bos}, eos {Eos}", tokenizer.Description, tokenizer.BosTokenId, tokenizer.EosTokenId);
        var scheduler = new Scheduler(() =>
            {
                var threads = StepThreads.LibTorch(options.Threads > 0 ? options.Threads : Environment.ProcessorCount, options.WorkPerThread);
                bool fixedThreshold = GlibcMalloc.FixMmapThreshold(GlibcMalloc.ServerThreshold);
                TorchEngine engine;
                try
                {
                    engine = TorchEngine.Load(checkpoint, served, options.LoadOnly, options.MaxBatch, options.MaxPromptTokens + options.MaxTokens, threads);
                }
                finally
                {
                    // The weights are in tensors now: unmap the files, so their pages stop counting as this process's memory.
                    checkpoint.Dispose();
                }

                logger.LogInformation("loaded {Model} ({Digest}) budgets {Budgets}{LoadOnly}; cache {CacheMiB:F1} MiB for {Slots} slots per budget; malloc mmap threshold fixed: {Fixed}; " +
                    "intra-op threads up to {Threads}, one per {WorkPerThreadM} M parameter-tokens of a step",
                    manifest.Name, checkpoint.Digest ?? "no digest", string.Join(",", served), options.LoadOnly is null ? "" : " (load-only)",
                    engine.CacheBytes / 1048576.0, options.MaxBatch, fixedThreshold, threads.MaxThreads, threads.WorkPerThread >> 20);
                return engine;
            },
            tokenizer, options.MaxBatch, options.MaxQueue, metrics, logger, options.MaxPrefillTokens);
        metrics.ModelInfo.WithLabels(manifest.Name, checkpoint.Digest ?? "", string.Join(",", served), options.LoadOnly ?? "", checkpoint.Config.DType.ToString()).Set(1);

        var catalog = new ModelCatalog(manifest, served, defaultBudget, DateTimeOffset.UtcNow);
        var completions = new CompletionEndpoints(scheduler, catalog, tokenizer, checkpoint.Config.VocabSize, options, metrics, logger, chatTemplate);
        app.MapGet("/healthz", () => Results.Text("ok\n"));
        app.MapGet("/readyz", () => scheduler.IsReady
            ? Results.Text("ready\n")
            : Results.Text(scheduler.IsDraining ? "draining\n" : scheduler.Loaded.IsFaulted ? "loading failed\n" : "loading\n", statusCode: 503));
        app.MapGet("/v1/models", () => Results.Json(new
        {
            @object = "list",
            data = served.Select(b => new
            {
                id = catalog.IdOf(b),
                @object = "model",
                created = catalog.Created,
                owned_by = "nestor",
                root = manifest.Name,
                budget = b,
                @params = manifest.Get(b).Params,
                @default = b == defaultBudget,
            }),
        }));
        app.MapPost("/v1/completions", completions.Completions);
        app.MapPost("/v1/chat/completions", completions.ChatCompletions);
        app.MapMetrics("/metrics", metrics.Registry);

        return new ServingHost(app, scheduler, checkpoint, metrics, options, logger);
    }

    /// <summary>Starts listening, then loading the model on the engine thread.</summary>
    public async Task StartAsync(CancellationToken cancellationToken = default)
    {
        await _app.StartAsync(cancellationToken);
        // Registered last, so it runs first when stopping begins (callbacks run in reverse order): the drain blocks the
        // shutdown sequence, and Kestrel keeps listening (answering 503 and not ready) until in-flight requests are done.
        _app.Lifetime.ApplicationStopping.Register(Drain);
        Scheduler.Start();
    }

    private void Drain()
    {
        Scheduler.BeginDrain();
        _logger.LogInformation("draining: not ready, refusing new requests, waiting up to {Seconds} s for in-flight ones", _options.DrainTimeout.TotalSeconds);
        bool idle = Scheduler.WaitIdleAsync(_options.DrainTimeout).GetAwaiter().GetResult();
        _logger.LogInformation(idle ? "drained" : "drain timeout: stopping with requests in flight");
    }

    /// <summary>Runs until SIGTERM/SIGINT (drained) or a load failure; returns the process exit code.</summary>
    public async Task<int> RunAsync(CancellationToken cancellationToken = default)
    {
        var stopped = _app.WaitForShutdownAsync(cancellationToken);
        await StartAsync(cancellationToken);
        await Task.WhenAny(stopped, Scheduler.Loaded.ContinueWith(_ => { }, TaskScheduler.Default));
        if (Scheduler.Loaded.IsFaulted)
        {
            await _app.StopAsync(CancellationToken.None);
            return 1;
        }

        await stopped;
        await Scheduler.StopAsync();
        return 0;
    }

    /// <summary>Drains (as SIGTERM does) and stops.</summary>
    public async Task StopAsync()
    {
        // Stopping runs the (blocking) drain on the calling thread: keep it off the caller's.
        await Task.Run(() => _app.StopAsync());
        await Scheduler.StopAsync();
    }

    public async ValueTask DisposeAsync()
    {
        await Scheduler.StopAsync();
        Scheduler.Dispose();
        await _app.DisposeAsync();
        _checkpoint.Dispose();
    }

    /// <summary>The checkpoint's own chat template (parsed now, so one Nestor cannot render fails the start), else the built-in one.</summary>
    private static ChatTemplate LoadChatTemplate(CheckpointDirectory checkpoint)
    {
        var config = checkpoint.Config;
        try
        {
            return ChatTemplate.For(CheckpointChatTemplate.Load(checkpoint.Path, new Dictionary<string, long?>
            {
                ["bos_token"] = config.BosTokenId,
                ["eos_token"] = config.EosTokenId,
                ["pad_token"] = config.PadTokenId,
            }));
        }
        catch (Exception e) when (e is InvalidDataException or IOException)
        {
            throw new ServeConfigurationException($"--checkpoint {checkpoint.Path}: {e.Message}");
        }
    }

    private static CheckpointDirectory OpenCheckpoint(string path)
    {
        if (!Directory.Exists(path))
        {
            throw new ServeConfigurationException($"--checkpoint {path}: no such folder");
        }

        try
        {
            return CheckpointDirectory.Open(path);
        }
        catch (Exception e) when (e is CheckpointFormatException or IOException or InvalidDataException)
        {
            throw new ServeConfigurationException($"--checkpoint {path}: {e.Message}");
        }
    }

    private static List<string> ServedBudgets(ServeOptions options, ElasticManifest manifest)
    {
        foreach (var name in options.Budgets.Append(options.LoadOnly).Append(options.DefaultBudget).OfType<string>())
        {
            if (manifest.TryGet(name) is null)
            {
                throw new ServeConfigurationException($"budget '{name}' is not in the checkpoint (it has {string.Join(", ", manifest.Budgets.Select(b => b.Name))})");
            }
        }

        if (options.LoadOnly is { } only)
        {
            if (options.Budgets.Any(b => b != only))
            {
                throw new ServeConfigurationException($"--load-only {only} serves that budget alone; --budgets may only name it");
            }

            return [only];
        }

        var wanted = options.Budgets.Count == 0 ? manifest.Budgets.Select(b => b.Name).ToHashSet() : options.Budgets.ToHashSet();
        return [.. manifest.BySize.Select(b => b.Name).Where(wanted.Contains)];
    }

    private static IPAddress ParseHost(string host) =>
        host switch
        {
            "localhost" => IPAddress.Loopback,
            "*" or "" => IPAddress.Any,
            _ => IPAddress.TryParse(host, out var address) ? address : throw new ServeConfigurationException($"--host '{host}' is not an IP address"),
        };
}

/// <summary>A bad option or checkpoint for <c>nestor serve</c>: reported and exit code 2.</summary>
public sealed class ServeConfigurationException(string message) : Exception(message);
