using System.Globalization;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Nestor.Api.V1Alpha1;

namespace Nestor.Operator.Autoscaling;

/// <summary>
/// metricsSource.type Prometheus: the tier's load from instant queries (GET /api/v1/query) instead of
/// its pods. $namespace, $tier, $budget and $window (latencyWindowSeconds + "s") are substituted. The
/// queue-depth query gives waiting + running as one number (reported as waiting); a query that fails or
/// returns no sample makes the sample missing (PodsSampled 0), so the missing-metrics policy applies.
/// </summary>
public sealed class PrometheusQuerySource(HttpClient http, TimeSpan timeout, ILogger logger)
{
    public const string DefaultQueueDepth =
        "sum(nestor_requests_waiting{namespace=\"$namespace\",budget=\"$budget\"}) + sum(nestor_requests_running{namespace=\"$namespace\",budget=\"$budget\"})";

    public const string DefaultTtftP95 =
        "histogram_quantile(0.95, sum by (le) (rate(nestor_time_to_first_token_seconds_bucket{namespace=\"$namespace\",budget=\"$budget\"}[$window])))";

    public const string DefaultE2eP95 =
        "histogram_quantile(0.95, sum by (le) (rate(nestor_e2e_request_latency_seconds_bucket{namespace=\"$namespace\",budget=\"$budget\"}[$window])))";

    public async Task<TierSample> SampleAsync(BudgetTier tier, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var autoscaling = tier.Spec.Autoscaling ?? new AutoscalingSpec();
        var source = autoscaling.MetricsSource.Prometheus
            ?? throw new InvalidOperationException("metricsSource.prometheus is required for type Prometheus");
        string Fill(string query) => query
            .Replace("$namespace", tier.Metadata.NamespaceProperty, StringComparison.Ordinal)
            .Replace("$tier", tier.Metadata.Name, StringComparison.Ordinal)
            .Replace("$budget", tier.Spec.Budget, StringComparison.Ordinal)
            .Replace("$window", autoscaling.LatencyWindowSeconds.ToString(CultureInfo.InvariantCulture) + "s", StringComparison.Ordinal);

        var queue = QueryAsync(source.Address, Fill(source.QueueDepthQuery ?? DefaultQueueDepth), cancellationToken);
        var ttft = autoscaling.TargetTtftP95Ms is null ? Task.FromResult<double?>(null) : QueryAsync(source.Address, Fill(source.TtftP95Query ?? DefaultTtftP95), cancellationToken);
        var e2e = autoscaling.TargetE2eP95Ms is null ? Task.FromResult<double?>(null) : QueryAsync(source.Address, Fill(source.E2eP95Query ?? DefaultE2eP95), cancellationToken);
        var depth = await queue;
        return new TierSample(now, depth is null ? 0 : 1, depth ?? 0, 0, Seconds(await ttft), Seconds(await e2e));
    }

    /// <summary>The value of an instant query's scalar or first vector sample; null when it fails, is empty or NaN.</summary>
    public async Task<double?> QueryAsync(string address, string query, CancellationToken cancellationToken)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        var uri = $"{address.TrimEnd('/')}/api/v1/query?query={Uri.EscapeDataString(query)}";
        try
        {
            using var response = await http.GetAsync(uri, deadline.Token);
            if (!response.IsSuccessStatusCode)
            {
                logger.LogDebug("Prometheus query {Query} failed: {Status}", query, (int)response.StatusCode);
                return null;
            }

            using var document = await JsonDocument.ParseAsync(await response.Content.ReadAsStreamAsync(deadline.Token), cancellationToken: deadline.Token);
            var data = document.RootElement.GetProperty("data");
            var result = data.GetProperty("result");
            var value = data.GetProperty("resultType").GetString() switch
            {
                "scalar" => result[1].GetString(),
                "vector" when result.GetArrayLength() > 0 => result[0].GetProperty("value")[1].GetString(),
                _ => null,
            };
            return double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) && !double.IsNaN(v) ? v : null;
        }
        catch (Exception e) when (e is HttpRequestException or JsonException or KeyNotFoundException or InvalidOperationException
            or OperationCanceledException && !cancellationToken.IsCancellationRequested)
        {
            logger.LogDebug("Prometheus query {Query} failed: {Error}", query, e.Message);
            return null;
        }
    }

    private static TimeSpan? Seconds(double? value) => value is { } v && !double.IsInfinity(v) ? TimeSpan.FromSeconds(v) : null;
}
