using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Nestor.Api.Manifests;
using Nestor.Charts.Tests.Support;
using Nestor.Testing;

namespace Nestor.Charts.Tests;

/// <summary>The suggested alerts (charts/nestor/files/prometheus-alerts.yaml) and the PrometheusRule the chart makes of them.</summary>
public sealed partial class PrometheusAlertsTests
{
    private static JsonObject AlertsFile() =>
        YamlToJson.Parse(File.ReadAllText(RepoPaths.Combine("charts", "nestor", "files", "prometheus-alerts.yaml"))).AsObject();

    [Fact]
    public void EveryAlertHasAnExpressionADurationASeverityAndASummary()
    {
        var rules = AlertsFile()["groups"]!.AsArray().SelectMany(g => g!["rules"]!.AsArray()).ToList();
        Assert.True(rules.Count >= 8);
        Assert.Equal(rules.Count, rules.Select(r => (string?)r!["alert"]).Distinct().Count());
        Assert.All(rules, r =>
        {
            Assert.StartsWith("Nestor", (string?)r!["alert"], StringComparison.Ordinal);
            Assert.False(string.IsNullOrWhiteSpace((string?)r["expr"]));
            Assert.Matches("^[0-9]+[smh]$", (string?)r["for"]);
            Assert.Contains((string?)r["labels"]!["severity"], new[] { "critical", "warning" });
            Assert.False(string.IsNullOrWhiteSpace((string?)r["annotations"]!["summary"]));
        });
    }

    [Fact]
    public void TheOperatorMetricsTheAlertsUseExist()
    {
        var source = File.ReadAllText(RepoPaths.Combine("operator", "Nestor.Operator.Core", "Metrics", "OperatorMetrics.cs"));
        var defined = DefinedMetric().Matches(source).Select(m => m.Groups[1].Value).ToHashSet();
        var used = AlertsFile()["groups"]!.AsArray().SelectMany(g => g!["rules"]!.AsArray())
            .SelectMany(r => UsedMetric().Matches((string)r!["expr"]!).Select(m => m.Value))
            .Select(name => HistogramSuffix().Replace(name, ""))
            .ToHashSet();
        Assert.NotEmpty(used);
        Assert.All(used, name => Assert.Contains(name, defined));
    }

    [HelmFact]
    public async Task ThePrometheusRuleCarriesTheAlertsFileUnchanged()
    {
        var objects = await Helm.TemplateAsync(ChartValues.Production);
        var rule = Helm.Single(objects, "PrometheusRule");
        Assert.Equal("prometheus", (string?)rule["metadata"]!["labels"]!["release"]);
        Assert.True(JsonNode.DeepEquals(AlertsFile()["groups"], rule["spec"]!["groups"]), "the PrometheusRule's groups differ from files/prometheus-alerts.yaml");
        Assert.Contains("{{ $labels.controller }}", rule.ToJsonString(), StringComparison.Ordinal);
        Assert.Empty(Helm.OfKind(await Helm.TemplateAsync(), "PrometheusRule"));
    }

    [GeneratedRegex("\"(nestor_operator_[a-z_]+)\"")]
    private static partial Regex DefinedMetric();

    [GeneratedRegex("nestor_operator_[a-z_]+")]
    private static partial Regex UsedMetric();

    [GeneratedRegex("_(bucket|sum|count)$")]
    private static partial Regex HistogramSuffix();
}
