using System.Text.RegularExpressions;

namespace Nestor.Checkpoint;

/// <summary>RFC 1123 DNS labels: model and budget names become parts of Kubernetes object names.</summary>
public static partial class DnsLabel
{
    public const int MaxLength = 63;

    public static bool IsValid(string? name) => name is { Length: > 0 and <= MaxLength } && Pattern().IsMatch(name);

    /// <summary>Why a name is not a DNS label, or null when it is one.</summary>
    public static string? Problem(string? name) => name switch
    {
        null or "" => "must not be empty",
        { Length: > MaxLength } => $"\"{name}\" is longer than {MaxLength} characters",
        _ when !Pattern().IsMatch(name) => $"\"{name}\" is not a DNS label (lowercase letters, digits and '-', starting and ending with a letter or digit)",
        _ => null,
    };

    [GeneratedRegex("^[a-z0-9]([-a-z0-9]*[a-z0-9])?$", RegexOptions.CultureInvariant)]
    private static partial Regex Pattern();
}
