using System.CommandLine;
using Microsoft.Extensions.Logging;
using Nestor.ApiServer;
using Nestor.Local.Cluster;

namespace Nestor.Quickstart;

/// <summary>`nestor-quickstart` (`make run`): flags and environment to <see cref="QuickstartOptions"/>, then the scenario.</summary>
public static class QuickstartCommand
{
    public static RootCommand Build()
    {
        var dataDir = new Option<string>("--data-dir") { Description = "Folder for the cluster's kubeconfig, volumes, pods and logs (emptied at start)", DefaultValueFactory = _ => Env("NESTOR_DATA_DIR") ?? ".nestor/run" };
        var configuration = new Option<string>("--configuration") { Description = "Build configuration of the nestor and nestor-operator binaries the images map to", DefaultValueFactory = _ => Env("CONFIGURATION") ?? "Debug" };
        var runOnce = new Option<bool>("--run-once") { Description = "Exit after the scenario (exit code 0 only if every step happened) instead of serving until Ctrl-C; also RUN_ONCE=1", DefaultValueFactory = _ => Env("RUN_ONCE") is "1" or "true" };
        var small = new Option<bool>("--small") { Description = "Shorter training and windows (the end-to-end test's settings)" };
        var noScaleDown = new Option<bool>("--no-scale-down") { Description = "Do not wait for the scale-down after the burst" };
        var verbose = new Option<bool>("--verbose") { Description = "Log the cluster's and the operator's information messages" };
        var root = new RootCommand("nestor-quickstart: the whole of Nestor on one machine with no cluster: a local control plane, the operator, examples/quickstart trained, served, loaded and autoscaled")
        {
            dataDir, configuration, runOnce, small, noScaleDown, verbose,
        };
        root.SetAction(async (parse, cancellationToken) =>
        {
            var repository = LocalCluster.FindRepositoryRoot();
            if (repository is null)
            {
                Console.Error.WriteLine("run this from inside the Nestor repository (crds/, examples/ and models/ are needed)");
                return 2;
            }

            var options = new QuickstartOptions
            {
                RepositoryRoot = repository,
                DataDirectory = Path.GetFullPath(parse.GetValue(dataDir)!),
                Configuration = parse.GetValue(configuration)!,
                RunOnce = parse.GetValue(runOnce),
                WaitForScaleDown = !parse.GetValue(noScaleDown),
            };
            if (parse.GetValue(small))
            {
                options = Small(options);
            }

            using var loggerFactory = LoggerFactory.Create(b => b.AddSimpleConsole(o => o.SingleLine = true)
                .SetMinimumLevel(parse.GetValue(verbose) ? LogLevel.Information : LogLevel.Warning)
                .AddFilter("Microsoft", LogLevel.Warning));
            // SIGINT (Ctrl-C) and SIGTERM are handled here, so that the cluster stops its pods before the process ends.
            using var shutdown = new ShutdownSignal(cancellationToken);
            return await new QuickstartScenario(options, loggerFactory).RunAsync(shutdown.Token);
        });
        return root;
    }

    /// <summary>The end-to-end test's settings: a few training steps, a short burst and windows.</summary>
    public static QuickstartOptions Small(QuickstartOptions options) => options with
    {
        StageSteps = [6, 3],
        StageSequenceLengths = [64, 96],
        BatchSize = 4,
        CalibrationSamples = 8,
        ScaleDownStabilizationSeconds = 10,
        BurstConcurrency = 16,
        BurstDuration = TimeSpan.FromSeconds(40),
        BurstMaxTokens = 32,
        Deadline = TimeSpan.FromMinutes(5),
    };

    private static string? Env(string name) => Environment.GetEnvironmentVariable(name) is { Length: > 0 } value ? value : null;
}
