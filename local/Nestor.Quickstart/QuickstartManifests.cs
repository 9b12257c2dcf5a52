using System.Text.Json.Nodes;
using k8s.Models;
using Nestor.Api;
using Nestor.Api.Manifests;
using Nestor.Api.V1Alpha1;
using Nestor.Operator.Core.Kube;

namespace Nestor.Quickstart;

/// <summary>The objects of examples/quickstart, with the scenario's overrides, applied with server-side apply.</summary>
public static class QuickstartManifests
{
    public const string FieldManager = "nestor-quickstart";

    private static readonly Dictionary<string, ResourceType> Types = new(StringComparer.Ordinal)
    {
        ["v1/PersistentVolumeClaim"] = ResourceType.For<V1PersistentVolumeClaim>(),
        [$"{NestorApi.GroupVersion}/{CompressionRun.KubeKind}"] = ResourceType.For<CompressionRun>(),
        [$"{NestorApi.GroupVersion}/{ElasticModel.KubeKind}"] = ResourceType.For<ElasticModel>(),
        [$"{NestorApi.GroupVersion}/{BudgetTier.KubeKind}"] = ResourceType.For<BudgetTier>(),
    };

    /// <summary>Every document of every *.yaml file in the folder, in file-name order.</summary>
    public static IReadOnlyList<JsonObject> Load(string folder)
    {
        var objects = new List<JsonObject>();
        foreach (var file in Directory.EnumerateFiles(folder, "*.yaml").Order(StringComparer.Ordinal))
        {
            foreach (var document in YamlToJson.ParseDocuments(File.ReadAllText(file), file))
            {
                objects.Add(document as JsonObject ?? throw new InvalidDataException($"{file}: a document is not an object"));
            }
        }

        return objects;
    }

    /// <summary>Shortens training and scale-down windows as the options say.</summary>
    public static void Override(JsonObject obj, QuickstartOptions options)
    {
        var kind = obj["kind"]?.GetValue<string>();
        if (kind == CompressionRun.KubeKind)
        {
            if (obj["spec"]?["curriculum"]?["stages"] is JsonArray stages)
            {
                for (var i = 0; i < stages.Count; i++)
                {
                    if (options.StageSteps is { } steps && i < steps.Count)
                    {
                        stages[i]!["steps"] = steps[i];
                    }

                    if (options.StageSequenceLengths is { } lengths && i < lengths.Count)
                    {
                        stages[i]!["sequenceLength"] = lengths[i];
                    }
                }
            }

            if (options.BatchSize is { } batch && obj["spec"]?["optimizer"] is JsonObject optimizer)
            {
                optimizer["batchSize"] = batch;
            }

            if (options.CalibrationSamples is { } samples && obj["spec"]?["importance"] is JsonObject importance)
            {
                importance["calibrationSamples"] = samples;
            }
        }
        else if (kind == BudgetTier.KubeKind && options.ScaleDownStabilizationSeconds is { } window)
        {
            var spec = (JsonObject)obj["spec"]!;
            var autoscaling = spec["autoscaling"] as JsonObject ?? [];
            autoscaling["scaleDownStabilizationSeconds"] = window;
            spec["autoscaling"] = autoscaling;
        }
    }

    public static string Kind(JsonObject obj) => obj["kind"]?.GetValue<string>() ?? "";

    public static string Name(JsonObject obj) => obj["metadata"]?["name"]?.GetValue<string>() ?? "";

    public static async Task ApplyAsync(KubeApiClient api, JsonObject obj, string @namespace, CancellationToken cancellationToken)
    {
        var key = $"{obj["apiVersion"]?.GetValue<string>()}/{Kind(obj)}";
        var type = Types.TryGetValue(key, out var t) ? t : throw new InvalidDataException($"the quickstart does not apply {key}");
        await api.PatchAsync<JsonObject>(type, @namespace, Name(obj), PatchKind.Apply, obj.ToJsonString(), cancellationToken,
            force: true);
    }
}
