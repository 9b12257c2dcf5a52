using System.CommandLine;
using Microsoft.Extensions.Logging;
using Nestor.ApiServer;

var address = new Option<string>("--address") { Description = "Loopback address to listen on", DefaultValueFactory = _ => "127.0.0.1" };
var port = new Option<int>("--port") { Description = "Port (0 picks a free one)", DefaultValueFactory = _ => int.TryParse(Environment.GetEnvironmentVariable("APISERVER_PORT"), out var p) ? p : 0 };
var kubeconfig = new Option<string>("--kubeconfig")
{
    Description = "Where to write the kubeconfig (default: $APISERVER_KUBECONFIG or .nestor/kubeconfig)",
    DefaultValueFactory = _ => Environment.GetEnvironmentVariable("APISERVER_KUBECONFIG") is { Length: > 0 } k ? k : ".nestor/kubeconfig",
};
var dataFile = new Option<string?>("--data-file") { Description = "JSON file to persist objects in across restarts (default: none)" };
var historySize = new Option<int>("--history-size") { Description = "Watch events kept for resuming watches", DefaultValueFactory = _ => 10_000 };
var bookmarkSeconds = new Option<int>("--bookmark-interval") { Description = "Seconds between watch bookmarks", DefaultValueFactory = _ => 60 };
var verbose = new Option<bool>("--verbose") { Description = "Log every failed request and controller action" };

var root = new RootCommand("nestor-apiserver: a local Kubernetes API server (plain HTTP on loopback, no authentication) for tests and the no-cluster mode")
{
    address, port, kubeconfig, dataFile, historySize, bookmarkSeconds, verbose,
};
root.SetAction(async (parse, invocationToken) =>
{
    // System.CommandLine 2.0 cancels its token on SIGINT only; SIGTERM (docker stop, kubelet, systemd) must stop cleanly too.
    using var shutdown = new ShutdownSignal(invocationToken);
    var cancellationToken = shutdown.Token;
    using var loggerFactory = LoggerFactory.Create(b => b.AddSimpleConsole(o => o.SingleLine = true)
        .SetMinimumLevel(parse.GetValue(verbose) ? LogLevel.Debug : LogLevel.Information)
        .AddFilter("Microsoft.AspNetCore", parse.GetValue(verbose) ? LogLevel.Information : LogLevel.Warning)
        .AddFilter("Microsoft.Hosting", LogLevel.Warning));
    var options = new LocalApiServerOptions
    {
        Address = parse.GetValue(address)!,
        Port = parse.GetValue(port),
        DataFile = parse.GetValue(dataFile),
        HistorySize = parse.GetValue(historySize),
        BookmarkInterval = TimeSpan.FromSeconds(Math.Max(1, parse.GetValue(bookmarkSeconds))),
        LoggerFactory = loggerFactory,
    };
    await using var server = await LocalApiServer.StartAsync(options, cancellationToken);
    var path = Path.GetFullPath(parse.GetValue(kubeconfig)!);
    server.WriteKubeconfig(path);
    Console.WriteLine($"API server: {server.Url}");
    Console.WriteLine($"kubeconfig: {path}");
    Console.WriteLine($"  export KUBECONFIG={path}");
    Console.Out.Flush();
    try
    {
        await Task.Delay(Timeout.Infinite, cancellationToken);
    }
    catch (OperationCanceledException)
    {
    }

    Console.WriteLine("stopping");
    return 0;
});
return await root.Parse(args).InvokeAsync();
