using System.Runtime.InteropServices;

namespace Nestor.Serving.Engine;

/// <summary>
/// libtorch's OpenMP runtime (libgomp) lets idle worker threads spin for a while before they sleep. When the machine's
/// cores are shared (a Kubernetes node, a CPU limit, another job) a spinning worker holds a core that the thread it
/// waits for needs: on a 2-core machine with one core busy elsewhere, a two-thread decode step of batch 16 took 350-400
/// ms against 17 ms with sleeping workers. <see cref="PreferPassive"/> sets <c>OMP_WAIT_POLICY=PASSIVE</c> for this
/// process unless the environment already sets a policy. libgomp reads it once, when libtorch is loaded, so it must run
/// before the first tensor is made (container images set the variable themselves).
/// </summary>
public static class OpenMpWaitPolicy
{
    public const string Variable = "OMP_WAIT_POLICY";

    /// <summary>Sets PASSIVE unless a policy is set; returns the policy in effect, or null where it cannot be set.</summary>
    public static string? PreferPassive()
    {
        if (Environment.GetEnvironmentVariable(Variable) is { Length: > 0 } chosen)
        {
            return chosen;
        }

        if (!OperatingSystem.IsLinux())
        {
            return null;
        }

        try
        {
            // The C library's environment, which libgomp reads (Environment.SetEnvironmentVariable does not reach it).
            return SetEnv(Variable, "PASSIVE", 0) == 0 ? "PASSIVE" : null;
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            return null;
        }
    }

    [DllImport("libc", EntryPoint = "setenv", CharSet = CharSet.Ansi, BestFitMapping = false, ThrowOnUnmappableChar = true)]
    private static extern int SetEnv(string name, string value, int overwrite);
}
