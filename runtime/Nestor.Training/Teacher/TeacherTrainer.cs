using System.Diagnostics;
using Nestor.Checkpoint;
using Nestor.Kernels;
using Nestor.Training.Data;
using Nestor.Training.Evaluation;
using static TorchSharp.torch;

namespace Nestor.Training.Teacher;

/// <summary>
/// Pretrains a tiny NemotronH teacher on the built-in arithmetic-chain task (short and long chains mixed) and writes
/// it as a plain checkpoint folder: config.json, model.safetensors, eval.json, checksums.sha256.
/// </summary>
public static class TeacherTrainer
{
    public sealed record Result(string Folder, long Params, EvalResult Test, double TokensPerSecond, long Tokens);

    public static Result Run(TeacherOptions options, Action<string> log, CancellationToken cancellationToken = default)
    {
        var config = options.InitFrom is { } init ? NemotronHConfig.Load(Path.Combine(init, NemotronHConfig.FileName)) : options.Config;
        var tokenizer = options.InitFrom is { } source ? TrainingTokenizer.For(source, config) : TrainingTokenizer.For(config);
        var task = new ArithChainTask(ArithChainTask.DefaultSplitSeed, ExampleLength.Mixed, testExamples: options.TestExamples);
        manual_seed(options.Seed);
        using var model = options.InitFrom is { } from ? NemotronHForCausalLM.Load(from) : NemotronHForCausalLM.Create(config, seed: (ulong)options.Seed);
        var parameters = model.parameters().ToList();
        using var optimizer = optim.AdamW(parameters, options.LearningRate, weight_decay: options.WeightDecay);
        long tokens = 0;
        var watch = Stopwatch.StartNew();
        double smoothed = double.NaN;
        for (int step = 0; step < options.Steps; step++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            using var scope = NewDisposeScope();
            double lr = Schedule.Cosine(step, options.Steps, options.WarmupSteps, options.LearningRate);
            foreach (var group in optimizer.ParamGroups)
            {
                group.LearningRate = lr;
            }

            using var batch = TrainingBatch.Pack(task, tokenizer, DeterministicRandom.For(options.Seed, DeterministicRandom.TrainBatch, step),
                ExampleLength.Mixed, options.BatchSize, options.SequenceLength);
            optimizer.zero_grad();
            var logits = model.Forward(batch.Inputs);
            var loss = Losses.CrossEntropy(logits, batch.Targets, batch.LossMask);
            loss.backward();
            nn.utils.clip_grad_norm_(parameters, 1.0);
            optimizer.step();
            tokens += batch.Tokens;
            double value = loss.item<float>();
            smoothed = double.IsNaN(smoothed) ? value : (0.9 * smoothed) + (0.1 * value);
            if ((step + 1) % options.LogEvery == 0 || step + 1 == options.Steps)
            {
                log(JsonLine.Of(("event", "step"), ("step", step + 1), ("total_steps", options.Steps), ("loss", Math.Round(smoothed, 4)),
                    ("lr", lr), ("tokens", tokens), ("tokens_per_s", Math.Round(tokens / watch.Elapsed.TotalSeconds, 1))));
            }
        }

        double tps = tokens / watch.Elapsed.TotalSeconds;
        var full = model.View(ElasticBudget.Full(config), detached: true);
        var test = Evaluator.Evaluate(model, full, task.Test, tokenizer);
        log(JsonLine.Of(("event", "eval"), ("split", "test"), ("examples", test.Examples), ("accuracy", test.Accuracy), ("perplexity", Math.Round(test.Perplexity, 4))));

        var folder = Path.GetFullPath(options.Output);
        var staging = folder + $".tmp-{Guid.NewGuid():N}";
        model.SaveCheckpoint(staging);
        if (options.InitFrom is { } initFolder)
        {
            CheckpointDirectory.CopyTokenizerFiles(initFolder, staging);
        }

        new EvalRecord
        {
            Task = task.Name,
            Split = "test",
            Examples = test.Examples,
            Budgets = new Dictionary<string, BudgetEvaluation> { ["full"] = new(ParameterCount.Of(config), test.Accuracy, test.Perplexity) },
        }.Save(Path.Combine(staging, EvalRecord.FileName));
        ContentDigest.Write(staging);
        if (Directory.Exists(folder))
        {
            // Keep what is not ours (a README) and replace the checkpoint files.
            foreach (var file in Directory.GetFiles(staging))
            {
                File.Move(file, Path.Combine(folder, Path.GetFileName(file)), overwrite: true);
            }

            Directory.Delete(staging, recursive: true);
            ContentDigest.Write(folder);
        }
        else
        {
            Directory.Move(staging, folder);
        }

        return new Result(folder, ParameterCount.Of(config), test, tps, tokens);
    }
}
