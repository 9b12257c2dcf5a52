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

        if (Parameters.TopK <= 0 && Parameters.TopP >= 1.0)
        {
            return FullSoftmaxDraw(logits);
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

    /// <summary>Without a top-k or top-p cut no order is needed: one pass for the softmax, one for the draw.</summary>
    private long FullSoftmaxDraw(ReadOnlySpan<float> logits)
    {
        double inverse = 1.0 / Parameters.Temperature, max = double.NegativeInfinity;
        foreach (var l in logits)
        {
            max = Math.Max(max, l * inverse);
        }

        Span<double> probs = logits.Length <= 4096 ? stackalloc double[logits.Length] : new double[logits.Length];
        double sum = 0;
        for (int i = 0; i < logits.Length; i++)
        {
            probs[i] = Math.Exp((logits[i] * inverse) - max);
            sum += probs[i];
        }

        double draw = _random.NextDouble() * sum;
        for (int i = 0; i < probs.Length; i++)
        {
            draw -= probs[i];
            if (draw < 0)
            {
                return i;
            }
        }

        return ArgMax(logits);
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
