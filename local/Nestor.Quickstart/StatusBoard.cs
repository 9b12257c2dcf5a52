using System.Globalization;
using System.Text;
using Nestor.Api.V1Alpha1;
using Nestor.Operator.Core.Kube;

namespace Nestor.Quickstart;

/// <summary>The live summary: the run's phase and progress, the model's checkpoint, every tier's replicas and latency.</summary>
public sealed class StatusBoard(KubeApiClient api, string @namespace, ScenarioReport report)
{
    private static readonly ResourceType Runs = ResourceType.For<CompressionRun>();
    private static readonly ResourceType Models = ResourceType.For<ElasticModel>();
    private static readonly ResourceType Tiers = ResourceType.For<BudgetTier>();

    private string? _last;
    private TimeSpan _lastPrinted;

    public async Task RunAsync(TimeSpan interval, CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(interval);
        do
        {
            try
            {
                var text = await RenderAsync(cancellationToken);
                var body = text[(text.IndexOf('\n', StringComparison.Ordinal) + 1)..];
                if (body != _last || report.Elapsed - _lastPrinted > TimeSpan.FromSeconds(30))
                {
                    Console.Write(text);
                    _last = body;
                    _lastPrinted = report.Elapsed;
                }
            }
            catch (Exception e) when (e is KubeApiException or HttpRequestException or System.Text.Json.JsonException)
            {
                Console.WriteLine($"[{ScenarioReport.Format(report.Elapsed)}] (summary unavailable: {e.Message})");
            }
        }
        while (await NextAsync(timer, cancellationToken));
    }

    public async Task<string> RenderAsync(CancellationToken cancellationToken)
    {
        var runs = await api.ListAsync<CompressionRun>(Runs, new ListOptions(@namespace), cancellationToken);
        var models = await api.ListAsync<ElasticModel>(Models, new ListOptions(@namespace), cancellationToken);
        var tiers = await api.ListAsync<BudgetTier>(Tiers, new ListOptions(@namespace), cancellationToken);
        var text = new StringBuilder();
        text.AppendLine(CultureInfo.InvariantCulture, $"[{ScenarioReport.Format(report.Elapsed)}] ──────────");
        foreach (var run in runs.Items)
        {
            var s = run.Status;
            var progress = s?.Progress is { } p
                ? $" step {p.Step}/{p.TotalSteps}{Losses(p.LossByBudget)}{(p.EtaSeconds is { } eta ? $" eta {eta}s" : "")}"
                : "";
            var result = s?.Result?.Evaluation is { Count: > 0 } eval
                ? " accuracy " + string.Join(" ", eval.Select(e => $"{e.Key}={Percent(e.Value.Accuracy)}"))
                : "";
            text.AppendLine(CultureInfo.InvariantCulture, $"  CompressionRun {run.Metadata.Name}: {s?.Phase?.ToString() ?? "Pending"}{progress}{result}");
        }

        foreach (var model in models.Items)
        {
            var s = model.Status;
            var digest = s?.Checkpoint?.Digest is { Length: > 0 } d ? Short(d) : "-";
            text.AppendLine(CultureInfo.InvariantCulture,
                $"  ElasticModel {model.Metadata.Name}: digest {digest} budgets {s?.BudgetCount?.ToString(CultureInfo.InvariantCulture) ?? "-"} tiers ready {s?.ReadyTiers ?? "-"} {Conditions(s?.Conditions)}");
        }

        foreach (var tier in tiers.Items.OrderBy(t => t.Metadata.Name, StringComparer.Ordinal))
        {
            var s = tier.Status;
            var m = s?.Metrics;
            var line = $"  BudgetTier {tier.Metadata.Name,-10} {tier.Spec.Budget,-5} ready {s?.ReadyReplicas ?? 0}/{s?.Replicas ?? 0} desired {s?.DesiredReplicas?.ToString(CultureInfo.InvariantCulture) ?? "-"}"
                + $" waiting {m?.Waiting ?? 0} running {m?.Running ?? 0} ttft-p95 {Ms(m?.TtftP95Ms)} e2e-p95 {Ms(m?.E2eP95Ms)}"
                + (s?.LastScaleReason is { Length: > 0 } reason ? $" last scale: {reason}" : "");
            text.AppendLine(line);
        }

        return text.ToString();
    }

    private static string Losses(IDictionary<string, double>? losses) =>
        losses is { Count: > 0 } ? " loss " + string.Join(" ", losses.Select(l => $"{l.Key}={l.Value.ToString("0.000", CultureInfo.InvariantCulture)}")) : "";

    private static string Percent(double? value) => value is { } v ? (v * 100).ToString("0.0", CultureInfo.InvariantCulture) + "%" : "-";

    private static string Ms(double? value) => value is { } v ? v.ToString("0", CultureInfo.InvariantCulture) + "ms" : "-";

    private static string Short(string digest) => digest.Replace("sha256:", "", StringComparison.Ordinal).Replace("sha256-", "", StringComparison.Ordinal)[..Math.Min(12, digest.Length)];

    private static string Conditions(IList<k8s.Models.V1Condition>? conditions) =>
        conditions is { Count: > 0 } ? string.Join(" ", conditions.Select(c => $"{c.Type}={c.Status}")) : "";

    private static async Task<bool> NextAsync(PeriodicTimer timer, CancellationToken cancellationToken)
    {
        try
        {
            return await timer.WaitForNextTickAsync(cancellationToken);
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }
}
