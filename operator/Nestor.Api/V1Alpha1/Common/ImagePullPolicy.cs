using System.Text.Json.Serialization;
using Nestor.Api.Schema;

namespace Nestor.Api.V1Alpha1;

/// <summary>When the kubelet pulls a container image (the Pod field of the same name).</summary>
[JsonConverter(typeof(JsonStringEnumConverter<ImagePullPolicy>))]
public enum ImagePullPolicy
{
    [Description("Pull the image on every container start.")]
    Always,

    [Description("Pull the image only when the node lacks it.")]
    IfNotPresent,

    [Description("Never pull: the image must already be on the node.")]
    Never,
}
