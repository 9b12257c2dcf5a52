using System.Text.RegularExpressions;

namespace Nestor.ApiServer.Resources;

/// <summary>Object name rules (k8s.io/apimachinery/pkg/util/validation).</summary>
internal static partial class Names
{
    public const string DnsLabelMessage =
        "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')";

    public const string DnsSubdomainMessage =
        "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";

    public static bool IsDnsLabel(string name) => name.Length <= 63 && DnsLabel().IsMatch(name);

    public static bool IsDnsSubdomain(string name) => name.Length <= 253 && DnsSubdomain().IsMatch(name);

    private const string Alphabet = "bcdfghjklmnpqrstvwxz2456789";

    /// <summary>generateName + 5 random characters, as the apiserver's SimpleNameGenerator does.</summary>
    public static string Generate(string prefix)
    {
        if (prefix.Length > 58)
        {
            prefix = prefix[..58];
        }

        return prefix + string.Create(5, 0, (span, _) =>
        {
            for (var i = 0; i < span.Length; i++)
            {
                span[i] = Alphabet[Random.Shared.Next(Alphabet.Length)];
            }
        });
    }

    [GeneratedRegex("^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")]
    private static partial Regex DnsLabel();

    [GeneratedRegex(@"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")]
    private static partial Regex DnsSubdomain();
}
