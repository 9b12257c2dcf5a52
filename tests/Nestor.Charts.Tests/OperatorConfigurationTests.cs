using System.CommandLine;
using System.Text.Json.Nodes;
using Nestor.Charts.Tests.Support;
using Nestor.Operator.Controllers.Shared;
using Nestor.Operator.Hosting;

namespace Nestor.Charts.Tests;

/// <summary>
/// The chart's container environment, given to the operator's real command line, configures the
/// operator as the values say (so an env name the operator does not read, or reads differently, fails).
/// </summary>
[Collection(nameof(ProcessEnvironment))]
public sealed class OperatorConfigurationTests
{
    [HelmFact]
    public async Task DefaultValuesWatchEveryNamespaceWithLeaderElectionInTheReleaseNamespace()
    {
        var options = await OptionsFromChartAsync(ChartValues.Default, "nestor-system");
        Assert.Empty(options.Namespaces);
        Assert.True(options.LeaderElection);
        Assert.Equal("nestor-system", options.LeaseNamespace);
        Assert.Equal("0.0.0.0:8080", options.MetricsAddress);
        Assert.Equal("Information", options.LogLevel);
        Assert.Equal(2, options.Workers);
        Assert.Equal("nestor-runtime:0.1.0-cpu", options.Controllers.RuntimeImage);
        Assert.Equal(ControllerSettings.DefaultRuntimeImage, options.Controllers.RuntimeImage);
    }

    [HelmFact]
    public async Task ProductionValuesReachTheOperator()
    {
        var options = await OptionsFromChartAsync(ChartValues.Production, "ml-system");
        Assert.Equal(["ml-serving", "ml-training"], options.Namespaces);
        Assert.True(options.LeaderElection);
        Assert.Equal("ml-system", options.LeaseNamespace);
        Assert.Equal("0.0.0.0:9090", options.MetricsAddress);
        Assert.Equal("Debug", options.LogLevel);
        Assert.Equal(4, options.Workers);
        Assert.Equal("registry.example.com/nestor/nestor-runtime:0.1.0-cuda12.8", options.Controllers.RuntimeImage);
    }

    [HelmFact]
    public async Task LeaderElectionOffReachesTheOperator()
    {
        var options = await OptionsFromChartAsync(new Dictionary<string, string> { ["leaderElection"] = """{"enabled":false}""" }, "nestor-system");
        Assert.False(options.LeaderElection);
    }

    [HelmFact]
    public async Task EveryNestorVariableTheChartSetsIsOneTheOperatorReads()
    {
        var objects = await Helm.TemplateAsync(ChartValues.Production);
        var names = Helm.Single(objects, "Deployment")["spec"]!["template"]!["spec"]!["containers"]![0]!["env"]!.AsArray()
            .Select(e => (string)e!["name"]!)
            .Where(n => n.StartsWith("NESTOR_", StringComparison.Ordinal))
            .ToList();
        Assert.NotEmpty(names);
        var help = new StringWriter();
        await OperatorCommand.Build().Parse(["--help"]).InvokeAsync(new InvocationConfiguration { Output = help });
        Assert.All(names, n => Assert.Contains($"env {n}", help.ToString(), StringComparison.Ordinal));
        Assert.All(OperatorVariables.Where(v => v.StartsWith("NESTOR_", StringComparison.Ordinal)),
            v => Assert.Contains($"env {v}", help.ToString(), StringComparison.Ordinal));
    }

    private static async Task<OperatorOptions> OptionsFromChartAsync(IReadOnlyDictionary<string, string> values, string ns)
    {
        var objects = await Helm.TemplateAsync(values, release: "nestor", @namespace: ns);
        var container = Helm.Single(objects, "Deployment")["spec"]!["template"]!["spec"]!["containers"]![0]!;
        var environment = new Dictionary<string, string>();
        foreach (var variable in container["env"]!.AsArray())
        {
            var name = (string)variable!["name"]!;
            if (variable["value"] is JsonNode value)
            {
                environment[name] = (string)value!;
            }
            else if ((string?)variable["valueFrom"]?["fieldRef"]?["fieldPath"] == "metadata.namespace")
            {
                environment[name] = ns; // what the downward API gives the pod
            }
        }

        Assert.Null(container["args"]);
        Assert.Null(container["command"]);
        return await ParseAsync(environment);
    }

    private static async Task<OperatorOptions> ParseAsync(Dictionary<string, string> environment)
    {
        var kubeconfig = Path.Combine(Path.GetTempPath(), $"nestor-charts-kubeconfig-{Guid.NewGuid():N}");
        await File.WriteAllTextAsync(kubeconfig, """
            apiVersion: v1
            kind: Config
            clusters: [{name: c, cluster: {server: "http://127.0.0.1:9"}}]
            users: [{name: u, user: {token: unused}}]
            contexts: [{name: x, context: {cluster: c, user: u}}]
            current-context: x
            """);
        var saved = environment.Keys.Concat(OperatorVariables).Distinct().ToDictionary(k => k, Environment.GetEnvironmentVariable);
        OperatorOptions? captured = null;
        try
        {
            foreach (var name in OperatorVariables)
            {
                Environment.SetEnvironmentVariable(name, null);
            }

            foreach (var (name, value) in environment)
            {
                Environment.SetEnvironmentVariable(name, value);
            }

            // Stop before the host starts: only the configuration is wanted, no port is bound.
            var command = OperatorCommand.Build(host =>
            {
                captured = host.Options;
                throw new ConfigurationCaptured();
            });
            await Assert.ThrowsAsync<ConfigurationCaptured>(() =>
                command.Parse(["--kubeconfig", kubeconfig]).InvokeAsync(new InvocationConfiguration { EnableDefaultExceptionHandler = false }));
        }
        finally
        {
            foreach (var (name, value) in saved)
            {
                Environment.SetEnvironmentVariable(name, value);
            }

            File.Delete(kubeconfig);
        }

        return captured ?? throw new InvalidOperationException("the operator command did not build a host");
    }

    private static readonly string[] OperatorVariables =
        ["NESTOR_NAMESPACES", "NESTOR_WORKERS", "NESTOR_METRICS_ADDRESS", "NESTOR_LEADER_ELECT", "NESTOR_LEASE_NAMESPACE", "POD_NAMESPACE", "NESTOR_LOG_LEVEL", "NESTOR_RUNTIME_IMAGE"];

    private sealed class ConfigurationCaptured : Exception;
}

/// <summary>Tests that change the process environment run one at a time.</summary>
[CollectionDefinition(nameof(ProcessEnvironment), DisableParallelization = true)]
public sealed class ProcessEnvironment;
