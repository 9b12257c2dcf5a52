using k8s.Models;
using Microsoft.Extensions.Logging;
using Nestor.Local.Node.Probes;

namespace Nestor.Local.Node.Pods;

internal sealed partial class PodWorker
{
    /// <summary>
    /// The probes of one container run: the startup probe until it succeeds (its failure kills the
    /// run, as liveness does), then readiness (sets Ready) and liveness (failureThreshold consecutive
    /// failures complete <paramref name="liveness"/> with the reason) side by side.
    /// </summary>
    private async Task ProbeLoopAsync(ContainerRun run, TaskCompletionSource<string> liveness, CancellationToken cancellationToken)
    {
        var spec = run.Spec;
        if (spec.StartupProbe is { } startup)
        {
            var passed = await RunProbeAsync(run, startup, "Startup", cancellationToken, onResult: null);
            if (passed is not null)
            {
                liveness.TrySetResult($"startup probe failed: {passed}");
                return;
            }

            lock (_lock)
            {
                run.Started = true;
            }

            Signal();
        }

        var readiness = spec.ReadinessProbe is { } ready
            ? RunProbeAsync(run, ready, "Readiness", cancellationToken, onResult: ok => SetReady(run, ok))
            : Task.FromResult<string?>(SetReady(run, true));
        var live = spec.LivenessProbe is { } alive
            ? RunProbeAsync(run, alive, "Liveness", cancellationToken, onResult: null)
            : Task.FromResult<string?>(null);
        var failure = await live;
        if (failure is not null)
        {
            liveness.TrySetResult(failure);
        }

        await readiness;
    }

    private string? SetReady(ContainerRun run, bool ready)
    {
        bool changed;
        lock (_lock)
        {
            changed = run.Ready != ready && run.Process is not null;
            if (changed)
            {
                run.Ready = ready;
            }
        }

        if (changed)
        {
            Signal();
        }

        return null;
    }

    /// <summary>
    /// Probes every periodSeconds after initialDelaySeconds. With <paramref name="onResult"/> (readiness)
    /// it runs until cancelled, reporting flips after successThreshold/failureThreshold; without it
    /// (startup, liveness) it returns null after the first success streak for startup, or the failure
    /// message once failureThreshold consecutive probes failed.
    /// </summary>
    private async Task<string?> RunProbeAsync(ContainerRun run, V1Probe probe, string kind, CancellationToken cancellationToken, Action<bool>? onResult)
    {
        var period = TimeSpan.FromSeconds(Math.Max(1, probe.PeriodSeconds ?? 10));
        var successThreshold = Math.Max(1, probe.SuccessThreshold ?? 1);
        var failureThreshold = Math.Max(1, probe.FailureThreshold ?? 3);
        var successes = 0;
        var failures = 0;
        try
        {
            await Task.Delay(TimeSpan.FromSeconds(Math.Max(0, probe.InitialDelaySeconds ?? 0)), cancellationToken);
            while (!cancellationToken.IsCancellationRequested)
            {
                var result = await _node.Prober.ProbeAsync(probe, run.Spec, PodIp!, ExecSpec(run), cancellationToken);
                if (result.Success)
                {
                    failures = 0;
                    successes++;
                    if (successes >= successThreshold)
                    {
                        if (onResult is null && kind == "Startup")
                        {
                            return null;
                        }

                        onResult?.Invoke(true);
                    }
                }
                else
                {
                    successes = 0;
                    failures++;
                    _logger.LogDebug("{Kind} probe of {Container} failed: {Message}", kind, run.Spec.Name, result.Message);
                    if (failures >= failureThreshold)
                    {
                        if (onResult is null)
                        {
                            return $"{kind} probe failed: {result.Message}";
                        }

                        onResult(false);
                    }
                }

                await Task.Delay(period, cancellationToken);
            }
        }
        catch (OperationCanceledException)
        {
        }

        return null;
    }

    private Func<IReadOnlyList<string>, (string, IReadOnlyList<string>, IReadOnlyDictionary<string, string>, string)> ExecSpec(ContainerRun run) => command =>
    {
        LaunchContext context;
        lock (_lock)
        {
            context = run.Context ?? throw new InvalidOperationException("the container is not running");
        }

        var argv = command.Select(context.Translator.Translate).ToList();
        var executable = ContainerLauncher.ResolveExecutable(argv[0], context.ImageDirectory, context.WorkingDirectory);
        return (executable, argv.Skip(1).ToList(), context.Environment, context.WorkingDirectory);
    };
}
