namespace Nestor.Training.Data;

/// <summary>
/// Seeds derived from (seed, purpose, index) by SplitMix64, so every random draw of a run is a pure function of its
/// seed and step: a resumed run makes exactly the draws the uninterrupted run would have made.
/// </summary>
public static class DeterministicRandom
{
    public static ulong Mix(ulong seed, ulong purpose, ulong index)
    {
        ulong z = seed ^ (purpose * 0x9E3779B97F4A7C15UL) ^ (index * 0xBF58476D1CE4E5B9UL);
        for (int i = 0; i < 2; i++)
        {
            z += 0x9E3779B97F4A7C15UL;
            z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
            z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
            z ^= z >> 31;
        }

        return z;
    }

    /// <summary>A System.Random (whose seeded sequence is stable across .NET versions) for one purpose and index.</summary>
    public static Random For(long seed, ulong purpose, long index) => new((int)(Mix((ulong)seed, purpose, (ulong)index) & 0x7FFFFFFF));

    // Purposes.
    public const ulong TrainBatch = 1, Budget = 2, Gumbel = 3, Calibration = 4, Init = 5, Split = 6;
}
