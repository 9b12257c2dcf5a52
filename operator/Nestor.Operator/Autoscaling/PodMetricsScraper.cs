using System.Globalization;
using k8s.Models;
using Microsoft.Extensions.Logging;

namespace Nestor.Operator.Autoscaling;

/// <summary>What one pod's /metrics said (null samples: the scrape failed, with the error).</summary>
public sealed record PodScrape(V1Pod Pod, IReadOnlyList<MetricSample>? Samples, string? Error);

/// <summary>
/// Reads a runtime pod's /metrics over plain HTTP at its pod IP and the port of its container port
/// named <c>portName</c> (8000 when it declares none), within a timeout, and parses the text format.
/// </summary>
public sealed class PodMetricsScraper(HttpClient http, TimeSpan timeout, string portName, ILogger logger)
{
    public const int DefaultPort = 8000;

    public static Uri MetricsUri(V1Pod pod, string portName)
    {
        var port = pod.Spec?.Containers?.SelectMany(c => c.Ports ?? []).FirstOrDefault(p => p.Name == portName)?.ContainerPort ?? DefaultPort;
        var ip = pod.Status?.PodIP ?? throw new InvalidOperationException($"pod {pod.Metadata.Name} has no IP");
        var host = ip.Contains(':', StringComparison.Ordinal) ? $"[{ip}]" : ip;
        return new Uri($"http://{host}:{port.ToString(CultureInfo.InvariantCulture)}/metrics");
    }

    public async Task<PodScrape> ScrapeAsync(V1Pod pod, CancellationToken cancellationToken)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        try
        {
            var uri = MetricsUri(pod, portName);
            using var response = await http.GetAsync(uri, HttpCompletionOption.ResponseHeadersRead, deadline.Token);
            if (!response.IsSuccessStatusCode)
            {
                return new PodScrape(pod, null, $"GET {uri}: {(int)response.StatusCode}");
            }

            var text = await response.Content.ReadAsStringAsync(deadline.Token);
            return new PodScrape(pod, PrometheusText.Parse(text), null);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return new PodScrape(pod, null, $"no answer within {timeout.TotalMilliseconds:0} ms");
        }
        catch (Exception e) when (e is HttpRequestException or FormatException or InvalidOperationException)
        {
            logger.LogDebug("Scrape of pod {Pod} failed: {Error}", pod.Metadata.Name, e.Message);
            return new PodScrape(pod, null, e.Message);
        }
    }
}
