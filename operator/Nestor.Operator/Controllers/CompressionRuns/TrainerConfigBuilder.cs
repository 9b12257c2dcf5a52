using System.Text.Json.Nodes;
using k8s;
using k8s.Models;
using Nestor.Api;
using Nestor.Api.V1Alpha1;

namespace Nestor.Operator.Controllers.CompressionRuns;

/// <summary>
/// The run's ConfigMap &lt;run&gt;-config: config.json is the CompressionRun spec (the trainer's
/// configuration has the same field names) plus "volumes", the mount path of each claim, so the
/// trainer resolves volume paths (parentModel.checkpoint, dataset.volume) to files.
/// </summary>
public static class TrainerConfigBuilder
{
    public const string FileName = "config.json";
    public const string MountPath = "/etc/nestor";

    public static string Name(CompressionRun run) => $"{run.Metadata.Name}-config";

    public static string Config(CompressionRun run, TrainerLayout layout)
    {
        var config = JsonNode.Parse(KubernetesJson.Serialize(run.Spec))!.AsObject();
        config["name"] = run.Metadata.Name;
        config["volumes"] = new JsonObject(layout.Mounts.Select(m => KeyValuePair.Create(m.Key, (JsonNode?)JsonValue.Create(m.Value))));
        config["outputVolume"] = layout.OutputClaim;
        return config.ToJsonString();
    }

    public static V1ConfigMap Build(CompressionRun run, TrainerLayout layout) => new()
    {
        Metadata = new V1ObjectMeta
        {
            Name = Name(run),
            NamespaceProperty = run.Metadata.NamespaceProperty,
            Labels = new Dictionary<string, string>
            {
                [NestorLabels.CompressionRun] = run.Metadata.Name,
                ["app.kubernetes.io/managed-by"] = "nestor-operator",
            },
        },
        Data = new Dictionary<string, string> { [FileName] = Config(run, layout) },
    };
}
