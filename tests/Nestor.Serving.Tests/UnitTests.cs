using System.Text;
using Nestor.Serving.Engine;
using Nestor.Serving.Scheduling;

namespace Nestor.Serving.Tests;

public sealed class StopMatcherTests
{
    [Fact]
    public void HoldsBackAPossibleStartOfAStopAndCutsAtTheStop()
    {
        var m = new StopMatcher(["END", "xy"]);
        Assert.Equal(("ab", false), m.Add("ab"));
        Assert.Equal(("c", false), m.Add("cE"));       // "E" may start "END"
        Assert.Equal(("", false), m.Add("N"));
        Assert.Equal(("EN!", false), m.Add("!"));      // "EN!" is no stop after all
        Assert.Equal(("q", true), m.Add("qxyz"));
    }

    [Fact]
    public void WithoutStopsEverythingPassesAndFlushReturnsTheHeldText()
    {
        Assert.Equal(("abc", false), new StopMatcher([]).Add("abc"));
        var m = new StopMatcher(["stop"]);
        Assert.Equal(("a", false), m.Add("ast"));
        Assert.Equal("st", m.Flush());
    }
}

public sealed class SamplerTests
{
    private static readonly float[] Logits = [0.1f, 2.0f, 1.9f, -1f, 0.5f];

    [Fact]
    public void TemperatureZeroTopK1AndATinyTopPAreGreedy()
    {
        Assert.Equal(1, new Sampler(new SamplingParams { Temperature = 0 }).Next(Logits));
        for (int seed = 0; seed < 20; seed++)
        {
            Assert.Equal(1, new Sampler(new SamplingParams { TopK = 1, Seed = seed }).Next(Logits));
            Assert.Equal(1, new Sampler(new SamplingParams { TopP = 1e-6, Seed = seed }).Next(Logits));
        }
    }

    [Fact]
    public void TopKLimitsTheDrawAndTheSeedFixesIt()
    {
        var drawn = Enumerable.Range(0, 200).Select(seed => new Sampler(new SamplingParams { TopK = 2, Seed = seed, Temperature = 1 }).Next(Logits)).ToHashSet();
        Assert.Equal([1L, 2L], drawn.Order());
        var a = new Sampler(new SamplingParams { Seed = 11 });
        var b = new Sampler(new SamplingParams { Seed = 11 });
        Assert.Equal(Enumerable.Range(0, 50).Select(_ => a.Next(Logits)), Enumerable.Range(0, 50).Select(_ => b.Next(Logits)));
    }

    [Fact]
    public void FrequenciesFollowTheSoftmax()
    {
        var sampler = new Sampler(new SamplingParams { Seed = 3 });
        var counts = new int[Logits.Length];
        for (int i = 0; i < 20000; i++)
        {
            counts[sampler.Next(Logits)]++;
        }

        var exp = Logits.Select(l => Math.Exp(l)).ToArray();
        for (int i = 0; i < Logits.Length; i++)
        {
            Assert.InRange(counts[i] / 20000.0, (exp[i] / exp.Sum()) - 0.02, (exp[i] / exp.Sum()) + 0.02);
        }
    }
}
