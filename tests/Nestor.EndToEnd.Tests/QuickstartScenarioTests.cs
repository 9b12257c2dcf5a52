using Microsoft.Extensions.Logging;
using Nestor.Quickstart;
using Nestor.Testing;

namespace Nestor.EndToEnd.Tests;

/// <summary>
/// `make run`'s scenario with the small settings: the local control plane, the operator, the real
/// `nestor` binary as pods (training Job, serving Deployments), real HTTP through the Service proxy.
/// </summary>
public sealed class QuickstartScenarioTests
{
#if DEBUG
    private const string Configuration = "Debug";
#else
    private const string Configuration = "Release";
#endif

    [Fact]
    public async Task TrainsServesAnswersAndAutoscalesTheQuickstart()
    {
        using var scratch = new ScratchDirectory("nestor-e2e");
        var options = QuickstartCommand.Small(new QuickstartOptions
        {
            RepositoryRoot = RepoPaths.Root,
            DataDirectory = scratch.Combine("cluster"),
            Configuration = Configuration,
            RunOnce = true,
        });
        using var loggerFactory = LoggerFactory.Create(b => b.AddSimpleConsole(o => o.SingleLine = true).SetMinimumLevel(LogLevel.Warning));
        var scenario = new QuickstartScenario(options, loggerFactory);

        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(7));
        var exitCode = await scenario.RunAsync(timeout.Token);

        var report = scenario.Report;
        Assert.Empty(report.Missing(ScenarioReport.Steps));
        Assert.Equal(0, exitCode);
        Assert.True(report.Figures["burst_completed"]!.GetValue<long>() > 0);
        Assert.NotNull(report.Figures["accuracy_by_budget"]);
    }
}
