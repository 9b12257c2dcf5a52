using k8s.Models;
using Nestor.Operator.Controllers.Shared;

namespace Nestor.Operator.Autoscaling;

/// <summary>
/// Turns the scrapes of one sync into a <see cref="TierSample"/> for a budget: waiting and running
/// summed over the pods that serve it (the tier's own pods, whose series may not exist before the first
/// request, and other ready pods of the model that expose series for the budget, which is how a tier at
/// zero sees demand), and p95 latencies over the window from each pod's histogram increase.
/// </summary>
public sealed class TierSampler
{
    public const string Waiting = "nestor_requests_waiting";
    public const string Running = "nestor_requests_running";
    public const string Ttft = "nestor_time_to_first_token_seconds";
    public const string E2e = "nestor_e2e_request_latency_seconds";

    private readonly Dictionary<string, List<(HistogramSnapshot? Ttft, HistogramSnapshot? E2e)>> _histories = [];

    public TierSample Sample(string tierName, string budget, IReadOnlyList<PodScrape> scrapes, DateTimeOffset now, TimeSpan window)
    {
        var pods = 0;
        double waiting = 0, running = 0;
        var ttft = new List<IReadOnlyDictionary<double, double>>();
        var e2e = new List<IReadOnlyDictionary<double, double>>();
        var seen = new HashSet<string>();
        foreach (var scrape in scrapes)
        {
            if (scrape.Samples is not { } samples)
            {
                continue;
            }

            var own = scrape.Pod.Metadata.Label(Nestor.Api.NestorLabels.Tier) == tierName;
            var forBudget = samples.Where(s => s.Label("budget") == budget).ToList();
            if (!own && forBudget.Count == 0)
            {
                continue;
            }

            pods++;
            waiting += forBudget.Where(s => s.Name == Waiting).Sum(s => s.Value);
            running += forBudget.Where(s => s.Name == Running).Sum(s => s.Value);

            var uid = scrape.Pod.Metadata.Uid ?? scrape.Pod.Metadata.Name;
            seen.Add(uid);
            if (!_histories.TryGetValue(uid, out var history))
            {
                _histories[uid] = history = [];
            }

            history.Add((HistogramSnapshot.From(forBudget, Ttft, budget, now), HistogramSnapshot.From(forBudget, E2e, budget, now)));
            history.RemoveAll(h => (h.Ttft ?? h.E2e) is { } s && now - s.At > window + window);
            Add(ttft, HistogramWindow.Increase([.. history.Select(h => h.Ttft).OfType<HistogramSnapshot>()], now, window));
            Add(e2e, HistogramWindow.Increase([.. history.Select(h => h.E2e).OfType<HistogramSnapshot>()], now, window));
        }

        foreach (var gone in _histories.Keys.Where(k => !seen.Contains(k)).ToList())
        {
            _histories.Remove(gone);
        }

        return new TierSample(now, pods, waiting, running, Seconds(HistogramWindow.Quantile(0.95, Sum(ttft))),
            Seconds(HistogramWindow.Quantile(0.95, Sum(e2e))));
    }

    /// <summary>Ready, running pods with an IP: the ones worth scraping.</summary>
    public static bool IsReady(V1Pod pod) =>
        pod.Metadata.DeletionTimestamp is null
        && !string.IsNullOrEmpty(pod.Status?.PodIP)
        && pod.Status?.Conditions?.Any(c => c.Type == "Ready" && c.Status == "True") == true;

    private static void Add(List<IReadOnlyDictionary<double, double>> into, IReadOnlyDictionary<double, double>? increase)
    {
        if (increase is not null)
        {
            into.Add(increase);
        }
    }

    private static Dictionary<double, double>? Sum(List<IReadOnlyDictionary<double, double>> parts)
    {
        if (parts.Count == 0)
        {
            return null;
        }

        var total = new Dictionary<double, double>();
        foreach (var part in parts)
        {
            foreach (var (bound, count) in part)
            {
                total[bound] = total.GetValueOrDefault(bound) + count;
            }
        }

        return total;
    }

    private static TimeSpan? Seconds(double? value) => value is { } v && !double.IsNaN(v) ? TimeSpan.FromSeconds(v) : null;
}
