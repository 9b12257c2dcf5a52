using System.Runtime.InteropServices;
using Nestor.Serving.Engine;

namespace Nestor.Serving.Tests;

public sealed class StepThreadsTests
{
    [Theory]
    [InlineData(1, 2, 8, 1)]     // one sequence decoding: one thread
    [InlineData(15, 2, 8, 1)]
    [InlineData(16, 2, 8, 2)]    // a full batch of 16: two threads
    [InlineData(776, 2, 8, 2)]   // a prefill: all of them
    [InlineData(776, 16, 8, 16)]
    [InlineData(40, 16, 8, 5)]
    [InlineData(0, 4, 8, 1)]
    public void ThreadsGrowWithTheTokensOfAStep(int tokens, int max, int perThread, int expected) =>
        Assert.Equal(expected, StepThreads.For(tokens, max, perThread));

    [Fact]
    public void TheThreadCountIsSetOnlyWhenItChanges()
    {
        var calls = new List<int>();
        var threads = new StepThreads(2, 8, calls.Add);
        foreach (int tokens in new[] { 1, 1, 16, 16, 700, 3, 2 })
        {
            threads.Before(tokens);
        }

        Assert.Equal([1, 2, 1], calls);
        Assert.Equal(1, threads.Current);
    }

    [Fact]
    public void BadLimitsAreRefused()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new StepThreads(0, 8, _ => { }));
        Assert.Throws<ArgumentOutOfRangeException>(() => new StepThreads(2, 0, _ => { }));
    }

    [Fact]
    public void OpenMpWorkersSleepUnlessTheEnvironmentChoseAPolicy()
    {
        string? before = Environment.GetEnvironmentVariable(OpenMpWaitPolicy.Variable);
        try
        {
            Environment.SetEnvironmentVariable(OpenMpWaitPolicy.Variable, "ACTIVE");
            Assert.Equal("ACTIVE", OpenMpWaitPolicy.PreferPassive());

            if (before is not null)
            {
                return; // the C library's environment already holds a policy, which setenv(overwrite: 0) keeps
            }

            Environment.SetEnvironmentVariable(OpenMpWaitPolicy.Variable, null);
            Assert.Equal("PASSIVE", OpenMpWaitPolicy.PreferPassive());
            // Set where libgomp reads it: the C library's environment, not only .NET's copy.
            Assert.Equal("PASSIVE", Marshal.PtrToStringAnsi(GetEnv(OpenMpWaitPolicy.Variable)));
        }
        finally
        {
            Environment.SetEnvironmentVariable(OpenMpWaitPolicy.Variable, before);
        }
    }

    [DllImport("libc", EntryPoint = "getenv", CharSet = CharSet.Ansi, BestFitMapping = false, ThrowOnUnmappableChar = true)]
    private static extern IntPtr GetEnv(string name);
}
