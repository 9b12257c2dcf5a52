using System.CommandLine;
using Microsoft.Extensions.Logging;
using Nestor.ApiServer;
using Nestor.Local.Bench;
using Nestor.Local.Cluster;
using Nestor.Local.Node.Images;

var dataDir = new Option<string>("--data-dir") { Description = "Folder for the kubeconfig, volumes, pod folders and logs", DefaultValueFactory = _ => Environment.GetEnvironmentVariable("NESTOR_DATA_DIR") is { Length: > 0 } d ? d : ".nestor" };
var port = new Option<int>("--port") { Description = "API server port on 127.0.0.1 (0 picks a free one)", DefaultValueFactory = _ => int.TryParse(Environment.GetEnvironmentVariable("APISERVER_PORT"), out var p) ? p : 0 };
var crds = new Option<string[]>("--crds") { Description = "CRD YAML folders or files to install (default: the repository's crds/ when found)", AllowMultipleArgumentsPerToken = true };
var images = new Option<string[]>("--image") { Description = "Extra image mapping REPOSITORY=DIRECTORY[:ENTRYPOINT] (DIRECTORY 'host' = commands on PATH); later ones win", AllowMultipleArgumentsPerToken = true };
var configuration = new Option<string>("--configuration") { Description = "Build configuration of the nestor and nestor-operator binaries the default images map to", DefaultValueFactory = _ => Environment.GetEnvironmentVariable("CONFIGURATION") is { Length: > 0 } c ? c : "Debug" };
var persist = new Option<bool>("--persist") { Description = "Keep API objects across restarts (<data-dir>/apiserver.json)" };
var verbose = new Option<bool>("--verbose") { Description = "Debug logging" };

var root = new RootCommand("nestor-local: a local control plane (API server, Deployment/Job/PVC controllers, a node agent running pods as local processes, a Service proxy) in the foreground")
{
    dataDir, port, crds, images, configuration, persist, verbose,
};
root.SetAction(async (parse, invocationToken) =>
{
    using var shutdown = new ShutdownSignal(invocationToken);
    var cancellationToken = shutdown.Token;
    using var loggerFactory = LoggerFactory.Create(b => b.AddSimpleConsole(o => o.SingleLine = true)
        .SetMinimumLevel(parse.GetValue(verbose) ? LogLevel.Debug : LogLevel.Information)
        .AddFilter("Microsoft.AspNetCore", LogLevel.Warning)
        .AddFilter("Microsoft.Hosting", LogLevel.Warning)
        .AddFilter("Informer", LogLevel.Warning));
    var repository = LocalCluster.FindRepositoryRoot();
    var map = ImageMap.Defaults(repository, parse.GetValue(configuration)!);
    try
    {
        foreach (var text in parse.GetValue(images) ?? [])
        {
            var (repositoryName, image) = ImageMap.ParseOption(text);
            map.Add(repositoryName, image);
        }
    }
    catch (FormatException e)
    {
        Console.Error.WriteLine(e.Message);
        return 2;
    }

    var crdPaths = parse.GetValue(crds) is { Length: > 0 } given ? given
        : repository is not null && Directory.Exists(Path.Combine(repository, "crds")) ? [Path.Combine(repository, "crds")] : [];
    await using var cluster = await LocalCluster.StartAsync(new LocalClusterOptions
    {
        DataDirectory = parse.GetValue(dataDir)!,
        ApiServerPort = parse.GetValue(port),
        CrdPaths = crdPaths,
        Images = map,
        Persist = parse.GetValue(persist),
        LoggerFactory = loggerFactory,
    }, cancellationToken);
    Console.WriteLine($"API server: {cluster.ApiUrl}");
    Console.WriteLine($"kubeconfig: {cluster.KubeconfigPath}");
    Console.WriteLine($"  export KUBECONFIG={cluster.KubeconfigPath}");
    Console.WriteLine($"CRDs: {(cluster.Crds.Count == 0 ? "none" : string.Join(", ", cluster.Crds))}");
    foreach (var (key, image) in map.Entries)
    {
        Console.WriteLine($"image {key} -> {image.Directory ?? "host PATH"}{(image.Entrypoint.Count > 0 ? " entrypoint " + string.Join(' ', image.Entrypoint) : "")}");
    }

    Console.WriteLine("Ctrl-C stops the cluster and every pod process.");
    Console.Out.Flush();
    try
    {
        await Task.Delay(Timeout.Infinite, cancellationToken);
    }
    catch (OperationCanceledException)
    {
    }

    Console.WriteLine("stopping: SIGTERM to every pod process, then SIGKILL after the grace period");
    await cluster.StopAsync();
    Console.WriteLine("stopped");
    return 0;
});
var replicas = new Option<int>("--replicas") { Description = "Deployment replicas", DefaultValueFactory = _ => 10 };
var completions = new Option<int>("--completions") { Description = "Job completions", DefaultValueFactory = _ => 10 };
var bench = new Command("bench", "Time cluster start, a Deployment to Ready, a rolling update, an Indexed Job, and the stop, with real processes (last line: JSON)")
{
    replicas, completions,
};
bench.SetAction(async (parse, invocationToken) =>
{
    using var shutdown = new ShutdownSignal(invocationToken);
    return await LocalClusterBenchmark.RunAsync(parse.GetValue(replicas), parse.GetValue(completions), Console.Out, shutdown.Token);
});
root.Subcommands.Add(bench);
return await root.Parse(args).InvokeAsync();
