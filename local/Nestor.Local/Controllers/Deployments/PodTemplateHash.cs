using System.Globalization;
using System.Text;
using k8s;
using k8s.Models;

namespace Nestor.Local.Controllers.Deployments;

/// <summary>
/// The pod-template-hash label: FNV-1a (32 bit) of the template, its decimal digits mapped onto kube's
/// consonant-and-digit alphabet (rand.SafeEncodeString), so the value never spells a word.
/// Any template change (an image, an env value, the nestor.dev/checkpoint-digest annotation) changes it.
/// </summary>
public static class PodTemplateHash
{
    public const string Label = "pod-template-hash";
    private const string Alphabet = "bcdfghjklmnpqrstvwxz2456789";

    public static string Compute(V1PodTemplateSpec template)
    {
        var bytes = Encoding.UTF8.GetBytes(KubernetesJson.Serialize(template));
        var hash = 2166136261u;
        foreach (var b in bytes)
        {
            hash ^= b;
            hash *= 16777619u;
        }

        var digits = hash.ToString(CultureInfo.InvariantCulture);
        return string.Create(digits.Length, digits, (span, d) =>
        {
            for (var i = 0; i < d.Length; i++)
            {
                span[i] = Alphabet[d[i] % Alphabet.Length];
            }
        });
    }
}
