using System.Text.Json.Serialization;
using Nestor.Api.Schema;

namespace Nestor.Api.V1Alpha1;

/// <summary>The training data of a run.</summary>
[Description("The training data: exactly one of builtin, volume, uri.")]
[ValidationRule("[has(self.builtin), has(self.volume), has(self.uri)].filter(x, x).size() == 1",
    "exactly one of builtin, volume, uri must be set")]
[ValidationRule("!has(self.format) || !has(self.builtin)", "format applies to volume and uri data only: a builtin task has its own",
    FieldPath = ".format", Reason = "FieldValueForbidden")]
public sealed class DatasetSpec
{
    [JsonPropertyName("builtin")]
    [Description("A task built into the trainer, generated deterministically (train, validation and test splits fixed by seed).")]
    public BuiltinDataset? Builtin { get; set; }

    [JsonPropertyName("volume")]
    [Description("A JSONL file on a volume (claimName unset: the output's volume), one example per line.")]
    public VolumePath? Volume { get; set; }

    [JsonPropertyName("uri")]
    [Description("A JSONL file the trainer downloads first.")]
    public DataUri? Uri { get; set; }

    [JsonPropertyName("format")]
    [Description("The JSONL format of volume or uri data. Unset: Text.")]
    public DatasetFormat? Format { get; set; }
}

/// <summary>A task built into the trainer.</summary>
[Description("A task built into the trainer.")]
public sealed class BuiltinDataset
{
    [JsonPropertyName("task")]
    [Description("The task's name, for example arith-chains (chains of arithmetic with a worked trace).")]
    [Required]
    [Pattern(Patterns.DnsLabel)]
    [Length(Min = 1, Max = 63)]
    public string Task { get; set; } = "";

    [JsonPropertyName("options")]
    [Description("Task options as strings, for example {\"length\": \"long\", \"trainExamples\": \"20000\"}; the trainer rejects an option it does not know.")]
    [Items(Max = 32)]
    [ItemConstraints(MaxLength = 256)]
    public IDictionary<string, string>? Options { get; set; }
}

/// <summary>A data file to download.</summary>
[Description("A data file to download: http(s)://..., s3://bucket/key, or hf://org/name[@revision].")]
public sealed class DataUri
{
    [JsonPropertyName("url")]
    [Description("Where the file is.")]
    [Required]
    [Pattern(Patterns.ModelUri)]
    [Length(Min = 6, Max = 2048)]
    public string Url { get; set; } = "";

    [JsonPropertyName("secretRef")]
    [Description("A Secret whose keys become the download's environment (HF_TOKEN; AWS_*; NESTOR_HTTP_AUTHORIZATION).")]
    public NameReference? SecretRef { get; set; }
}

/// <summary>JSONL formats the trainer reads.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<DatasetFormat>))]
public enum DatasetFormat
{
    [Description("{\"text\": \"...\"} per line: language modelling on the whole text.")]
    Text,

    [Description("{\"prompt\": \"...\", \"completion\": \"...\"} per line: loss on the completion only.")]
    PromptCompletion,
}
