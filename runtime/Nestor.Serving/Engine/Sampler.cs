namespace Nestor.Serving.Engine;

/// <summary>Draws tokens from logits with temperature, top-k and top-p, from a per-sequence seeded random stream.</summary>
public sealed class Sampler(SamplingParams parameters)
{
    private readonly Random _random = new(unchecked((int)(parameters.Seed ^ (parameters.Seed >> 32))));

    public SamplingParams Parameters { get; } = parameters;

    public long Next(ReadOnlySpan<float> logits)
    {
        if (Parameters.Temperature <= 0)
        {
            return ArgMax(logits);
        }

        int vocab = logits.Length;
        var order = new int[vocab];
        for (int i = 0; i < vocab; i++)
        {
            order[i] = i;
        }

        var scaled = new double[vocab];
        for (int i = 0; i < vocab; i++)
        {
            scaled[i] = logits[i] / Parameters.Temperature;
        }

        // Descending by logit; ties by id, so the order (and the draw) is deterministic.
        Array.Sort(order, (a, b) => scaled[b] != scaled[a] ? scaled[b].CompareTo(scaled[a]) : a.CompareTo(b));
        int keep = Parameters.TopK > 0 ? Math.Min(Parameters.TopK, vocab) : vocab;
        double max = scaled[order[0]];
        var probs = new double[keep];
        double sum = 0;
        for (int i = 0; i < keep; i++)
        {
            probs[i] = Math.Exp(scaled[order[i]] - max);
            sum += probs[i];
        }

        if (Parameters.TopP < 1.0)
        {
            double cumulative = 0;
            int cut = keep;
            for (int i = 0; i < keep; i++)
            {
                cumulative += probs[i] / sum;
                if (cumulative >= Parameters.TopP)
                {
                    cut = i + 1;
                    break;
                }
            }

            keep = cut;
            sum = 0;
            for (int i = 0; i < keep; i++)
            {
                sum += probs[i];
            }
        }

        double draw = _random.NextDouble() * sum;
        for (int i = 0; i < keep; i++)
        {
            draw -= probs[i];
            if (draw < 0)
            {
                return order[i];
            }
        }

        return order[keep - 1];
    }

    private static long ArgMax(ReadOnlySpan<float> logits)
    {
        int best = 0;
        for (int i = 1; i < logits.Length; i++)
        {
            if (logits[i] > logits[best])
            {
                best = i;
            }
        }

        return best;
    }
}
