using System.Text.Json.Serialization;
using Nestor.Api.Schema;

namespace Nestor.Api.V1Alpha1;

/// <summary>A checkpoint to download: http(s), S3 or Hugging Face.</summary>
[Description("A checkpoint to download: https://host/path (a folder served as files, or a .tar archive), s3://bucket/prefix, or hf://org/name[@revision] (a Hugging Face repository).")]
public sealed class UriSource
{
    [JsonPropertyName("url")]
    [Description("Where the checkpoint is: http(s)://..., s3://bucket/prefix, or hf://org/name[@revision].")]
    [Pattern(Patterns.ModelUri)]
    [Length(Min = 6, Max = 2048)]
    [Required]
    public string Url { get; set; } = "";

    [JsonPropertyName("secretRef")]
    [Description("A Secret whose keys become the download's environment: HF_TOKEN for Hugging Face; AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN, AWS_REGION, AWS_ENDPOINT_URL for S3; NESTOR_HTTP_AUTHORIZATION (an Authorization header value) for http(s).")]
    public NameReference? SecretRef { get; set; }

    [JsonPropertyName("digest")]
    [Description("The expected content digest (sha256:<hex>, docs/checkpoint-format.md). When set, a download with another digest fails instead of being served.")]
    [Pattern(Patterns.Digest)]
    public string? Digest { get; set; }
}
