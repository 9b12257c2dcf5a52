using System.Text.Json.Nodes;
using Nestor.Api.Manifests;
using Nestor.Testing;

namespace Nestor.Charts.Tests.Support;

/// <summary>Runs the real helm binary on charts/nestor.</summary>
public static class Helm
{
    public static string ChartPath => RepoPaths.Combine("charts", "nestor");

    public static async Task<ProcessRunner.Result> RunAsync(params string[] arguments)
    {
        var helm = Tools.Require(Tools.Helm, Tools.HelmMissing);
        var home = Path.Combine(Path.GetTempPath(), "nestor-charts-tests-helm");
        // helm writes its cache and config under HOME/XDG; keep them out of the user's.
        var environment = new Dictionary<string, string>
        {
            ["HELM_CACHE_HOME"] = Path.Combine(home, "cache"),
            ["HELM_CONFIG_HOME"] = Path.Combine(home, "config"),
            ["HELM_DATA_HOME"] = Path.Combine(home, "data"),
        };
        return await ProcessRunner.RunAsync(helm, arguments, environment: environment, timeout: TimeSpan.FromMinutes(2));
    }

    /// <summary>helm template with --set-json pairs (key, JSON value); every rendered document as JSON.</summary>
    public static async Task<IReadOnlyList<JsonObject>> TemplateAsync(IReadOnlyDictionary<string, string>? values = null,
        string release = "nestor", string @namespace = "nestor-system", bool includeCrds = false)
    {
        var result = await RunAsync(TemplateArguments(values, release, @namespace, includeCrds));
        Assert.True(result.ExitCode == 0, $"helm template failed ({result.ExitCode}):\n{result.Combined}");
        return YamlToJson.ParseDocuments(result.StandardOutput, "helm template").Select(d => d.AsObject()).ToList();
    }

    public static string[] TemplateArguments(IReadOnlyDictionary<string, string>? values, string release = "nestor",
        string @namespace = "nestor-system", bool includeCrds = false)
    {
        List<string> arguments = ["template", release, ChartPath, "--namespace", @namespace];
        if (includeCrds)
        {
            arguments.Add("--include-crds");
        }

        foreach (var (key, json) in values ?? new Dictionary<string, string>())
        {
            arguments.Add("--set-json");
            arguments.Add($"{key}={json}");
        }

        return [.. arguments];
    }

    public static JsonObject Single(IEnumerable<JsonObject> objects, string kind, string? name = null) =>
        Assert.Single(objects, o => (string?)o["kind"] == kind && (name is null || (string?)o["metadata"]!["name"] == name));

    public static IEnumerable<JsonObject> OfKind(IEnumerable<JsonObject> objects, string kind) =>
        objects.Where(o => (string?)o["kind"] == kind);
}
