using System.Runtime.InteropServices;
using Nestor.Serving.Engine;

namespace Nestor.Serving.Tests;

public sealed class StepThreadsTests
{
    private const long M = 1 << 20;

    [Theory]
    [InlineData(1, 14 * M, 2, 1)]        // one sequence of a 14 M-parameter model: one thread
    [InlineData(2, 14 * M, 2, 1)]        // two: 28 M multiply-adds, still one
    [InlineData(16, 14 * M, 2, 2)]       // a batch of 16 of it: 224 M, every thread
    [InlineData(16, 1 * M, 2, 1)]        // a batch of 16 through a 1 M-parameter model: one
    [InlineData(768, 14 * M, 16, 16)]    // a prefill of 16 prompts of 48 tokens: every thread
    [InlineData(16, 14 * M, 16, 7)]      // 224 M over 32 M per thread
    [InlineData(0, 14 * M, 4, 1)]
    public void ThreadsGrowWithTheWorkOfAStep(long tokens, long parameters, int max, int expected) =>
        Assert.Equal(expected, StepThreads.For(tokens, parameters, max, StepThreads.DefaultWorkPerThread));

    [Fact]
    public void TheThreadCountIsSetOnlyWhenItChanges()
    {
        var calls = new List<int>();
        var threads = new StepThreads(2, 100, calls.Add);
        foreach (long tokens in new long[] { 1, 1, 16, 16, 700, 3, 2 })
        {
            threads.Before(tokens, 10);
        }

        Assert.Equal([1, 2, 1], calls);
        Assert.Equal(1, threads.Current);
    }

    [Fact]
    public void SmallBatchStepsRunLibTorchOnOneThreadAndSplitTheirProducts()
    {
        var libTorch = new List<int>();
        var products = new List<int>();
        var threads = new StepThreads(2, 50, libTorch.Add, products.Add, smallBatchTokens: 16);
        threads.Before(16, 10);   // a decode step of 16 sequences: 160 of work, 3 × 50, two threads for its products
        Assert.Equal([1], libTorch);
        Assert.Equal([2], products);
        Assert.Equal(2, threads.Current);
        threads.Before(700, 10);  // a prefill: libtorch gets the threads
        Assert.Equal([1, 2], libTorch);
        Assert.Equal([2], products);
        threads.Before(1, 10);    // one sequence: one thread for everything
        Assert.Equal([1, 2, 1], libTorch);
        Assert.Equal([2, 1], products);
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
