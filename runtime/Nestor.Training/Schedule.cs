namespace Nestor.Training;

/// <summary>Learning-rate and temperature schedules.</summary>
public static class Schedule
{
    /// <summary>Linear warm-up, then cosine decay to 10 % of the peak.</summary>
    public static double Cosine(long step, long totalSteps, long warmupSteps, double peak)
    {
        if (step < warmupSteps)
        {
            return peak * (step + 1) / warmupSteps;
        }

        double progress = totalSteps <= warmupSteps ? 1 : (double)(step - warmupSteps) / (totalSteps - warmupSteps);
        return peak * (0.1 + (0.9 * 0.5 * (1 + Math.Cos(Math.PI * Math.Min(1, progress)))));
    }

    /// <summary>Exponential annealing from <paramref name="start"/> to <paramref name="end"/> over the run.</summary>
    public static double Anneal(long step, long totalSteps, double start, double end) =>
        totalSteps <= 1 ? end : start * Math.Pow(end / start, Math.Min(1.0, (double)step / (totalSteps - 1)));
}
