using Nestor.Checkpoint;
using Nestor.Kernels;
using Nestor.Training.Config;
using Nestor.Training.Data;
using Nestor.Training.Evaluation;
using static TorchSharp.torch;

namespace Nestor.Training.Baselines;

/// <summary>One budget's separate run: the tokens it took to reach a target accuracy (or the cap), and where it ended.</summary>
public sealed record SeparateRun(string Budget, long Params, double TargetAccuracy, long TokensToTarget, bool Reached, EvalResult Final);

/// <summary>
/// The baselines on the same task: (a) importance pruning to each budget with no training, and (b) the Minitron way:
/// prune, then distil each smaller budget on its own (its sliced sub-network, forward KL from the teacher), measuring
/// the tokens until it matches the elastic run's accuracy for that budget.
/// </summary>
public static class SeparateDistillation
{
    /// <summary>
    /// Trains one budget's sub-network of <paramref name="pruned"/> (modified in place) until it reaches
    /// <paramref name="targetAccuracy"/> on <paramref name="validation"/> or has run <paramref name="maxSteps"/> steps.
    /// Step t takes the batch the elastic run took at step t (same seed, stage, example lengths, sequence length and
    /// batch size; the last stage repeats past its end) and the elastic run's learning-rate schedule over
    /// <paramref name="maxSteps"/> steps, so the two are compared on the same data.
    /// </summary>
    public static SeparateRun Run(NemotronHForCausalLM pruned, NemotronHForCausalLM teacher, ElasticBudget budget, ITaskData data,
        TrainingTokenizer tokenizer, IReadOnlyList<TextExample> validation, double targetAccuracy, IReadOnlyList<StagePlan> stages, long maxSteps,
        int batchSize, double learningRate, int warmupSteps, double weightDecay, long seed, int evalEvery, Action<string> log)
    {
        var parameters = pruned.parameters().ToList();
        using var optimizer = optim.AdamW(parameters, learningRate, weight_decay: weightDecay);
        long tokens = 0, step = 0;
        EvalResult Score() => Evaluator.Evaluate(pruned, pruned.View(budget, detached: true), validation, tokenizer);
        var current = Score();
        while (current.Accuracy < targetAccuracy && step < maxSteps)
        {
            var stage = StageAt(stages, step);
            using (var scope = NewDisposeScope())
            {
                foreach (var group in optimizer.ParamGroups)
                {
                    group.LearningRate = Schedule.Cosine(step, maxSteps, warmupSteps, learningRate);
                }

                using var batch = TrainingBatch.Pack(data, tokenizer, DeterministicRandom.For(seed, DeterministicRandom.TrainBatch, step),
                    stage.Examples, batchSize, stage.SequenceLength);
                Tensor teacherLogits;
                using (no_grad())
                {
                    teacherLogits = teacher.Forward(batch.Inputs);
                }

                optimizer.zero_grad();
                var logits = pruned.Forward(batch.Inputs, pruned.View(budget));
                var loss = Losses.ForwardKl(logits, teacherLogits, batch.LossMask);
                loss.backward();
                nn.utils.clip_grad_norm_(parameters, 1.0);
                optimizer.step();
                tokens += batch.Tokens;
                step++;
            }

            if (step % evalEvery == 0 || step >= maxSteps)
            {
                current = Score();
                log(JsonLine.Of(("event", "separate"), ("budget", budget.Name), ("step", step), ("tokens", tokens), ("accuracy", current.Accuracy)));
            }
        }

        return new SeparateRun(budget.Name, budget.Params, targetAccuracy, tokens, current.Accuracy >= targetAccuracy, current);
    }

    /// <summary>The stage a step falls in (the last one past the end).</summary>
    public static StagePlan StageAt(IReadOnlyList<StagePlan> stages, long step)
    {
        long start = 0;
        foreach (var stage in stages)
        {
            start += stage.Steps;
            if (step < start)
            {
                return stage;
            }
        }

        return stages[^1];
    }
}
