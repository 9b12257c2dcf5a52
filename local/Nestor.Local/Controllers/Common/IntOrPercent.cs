using System.Globalization;
using k8s.Models;

namespace Nestor.Local.Controllers.Common;

/// <summary>intstr values such as maxSurge "25%" or 1, scaled against a total (kube's GetScaledValueFromIntOrPercent).</summary>
public static class IntOrPercent
{
    public static int Resolve(IntOrString? value, int total, bool roundUp, string fallback)
    {
        var text = value?.Value is { Length: > 0 } v ? v : fallback;
        if (text.EndsWith('%'))
        {
            if (!double.TryParse(text[..^1], NumberStyles.Float, CultureInfo.InvariantCulture, out var percent) || percent < 0)
            {
                throw new FormatException($"invalid percentage '{text}'");
            }

            var scaled = percent * total / 100.0;
            return roundUp ? (int)Math.Ceiling(scaled) : (int)Math.Floor(scaled);
        }

        return int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var number) && number >= 0
            ? number
            : throw new FormatException($"invalid value '{text}': expected a non-negative integer or a percentage");
    }
}
