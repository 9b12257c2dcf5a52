using Nestor.Testing;

namespace Nestor.ApiServer.Tests;

/// <summary>A fact that needs the real kubectl; skipped, saying why, where it is not installed.</summary>
public sealed class KubectlFactAttribute : FactAttribute
{
    public KubectlFactAttribute()
    {
        if (Kubectl.Path is null)
        {
            Skip = Kubectl.MissingMessage;
        }
    }
}
