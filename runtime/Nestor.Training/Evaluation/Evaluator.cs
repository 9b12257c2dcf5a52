using Nestor.Kernels;
using Nestor.Training.Data;
using static TorchSharp.torch;

namespace Nestor.Training.Evaluation;

/// <summary>One budget's score on a split.</summary>
public sealed record EvalResult(double Accuracy, double Perplexity, int Examples);

/// <summary>
/// Exact-match accuracy with greedy decoding (the generated completion, up to EOS, must give the expected answer:
/// the text after the last <c>#</c> for the built-in task, the whole completion otherwise) and perplexity of the
/// reference completions (teacher-forced, completion tokens and EOS), for one budget of a model.
/// </summary>
public static class Evaluator
{
    public static EvalResult Evaluate(NemotronHForCausalLM model, BudgetView view, IReadOnlyList<TextExample> examples, TrainingTokenizer tokenizer,
        int maxNewTokens = 64, int batchSize = 100)
    {
        using var inference = inference_mode();
        int correct = 0;
        double nll = 0;
        long scored = 0;
        for (int start = 0; start < examples.Count; start += batchSize)
        {
            var chunk = examples.Skip(start).Take(batchSize).ToList();
            var generated = Generate(model, view, chunk.Select(e => (IReadOnlyList<long>)[tokenizer.Bos, .. tokenizer.Encode(e.Prompt)]).ToList(), tokenizer.Eos, maxNewTokens);
            for (int i = 0; i < chunk.Count; i++)
            {
                if (IsCorrect(chunk[i], tokenizer.Decode(generated[i])))
                {
                    correct++;
                }
            }

            var (sum, count) = NegativeLogLikelihood(model, view, chunk, tokenizer);
            nll += sum;
            scored += count;
        }

        return new EvalResult(examples.Count == 0 ? 0 : (double)correct / examples.Count, Math.Exp(nll / Math.Max(1, scored)), examples.Count);
    }

    public static bool IsCorrect(TextExample example, string generated)
    {
        if (example.Answer is null)
        {
            return generated == example.Completion;
        }

        int hash = generated.LastIndexOf('#');
        return hash >= 0 && generated[(hash + 1)..].Trim() == example.Answer;
    }

    /// <summary>Greedy continuations (without the EOS) of each prompt, batched through a slot cache.</summary>
    public static IReadOnlyList<List<long>> Generate(NemotronHForCausalLM model, BudgetView view, IReadOnlyList<IReadOnlyList<long>> prompts, int eos, int maxNewTokens)
    {
        using var inference = inference_mode();
        int longest = prompts.Max(p => p.Count);
        using var cache = model.CreateCache(prompts.Count, longest + maxNewTokens + 1);
        var slots = prompts.Select(_ => cache.Allocate(view.Name)).ToArray();
        var outputs = prompts.Select(_ => new List<long>()).ToArray();
        var done = new bool[prompts.Count];
        using (var logits = model.Prefill(view, cache, slots, prompts))
        {
            Take(logits);
        }

        for (int step = 1; step < maxNewTokens && done.Any(d => !d); step++)
        {
            var next = outputs.Select((o, i) => done[i] ? eos : o[^1]).ToArray();
            using var logits = model.Decode(view, cache, slots, next);
            Take(logits);
        }

        return outputs;

        void Take(Tensor logits)
        {
            var best = logits.argmax(-1).data<long>().ToArray();
            for (int i = 0; i < best.Length; i++)
            {
                if (done[i])
                {
                    continue;
                }

                if (best[i] == eos)
                {
                    done[i] = true;
                }
                else
                {
                    outputs[i].Add(best[i]);
                }
            }
        }
    }

    private static (double Sum, long Count) NegativeLogLikelihood(NemotronHForCausalLM model, BudgetView view, IReadOnlyList<TextExample> examples, TrainingTokenizer tokenizer)
    {
        using var scope = NewDisposeScope();
        var rows = examples.Select(e =>
        {
            var prompt = tokenizer.Encode(e.Prompt);
            var completion = tokenizer.Encode(e.Completion);
            long[] ids = [tokenizer.Bos, .. prompt, .. completion, tokenizer.Eos];
            return (Ids: ids, FirstScored: prompt.Length + 1);
        }).ToList();
        int width = rows.Max(r => r.Ids.Length);
        var input = new long[rows.Count * (width - 1)];
        var target = new long[rows.Count * (width - 1)];
        var mask = new float[rows.Count * (width - 1)];
        for (int i = 0; i < rows.Count; i++)
        {
            var ids = rows[i].Ids;
            for (int t = 0; t < width - 1; t++)
            {
                input[(i * (width - 1)) + t] = t < ids.Length ? ids[t] : tokenizer.Pad;
                if (t + 1 < ids.Length)
                {
                    target[(i * (width - 1)) + t] = ids[t + 1];
                    mask[(i * (width - 1)) + t] = t + 1 >= rows[i].FirstScored ? 1f : 0f;
                }
            }
        }

        var logits = model.Forward(tensor(input, [rows.Count, width - 1], device: model.Device), view);
        var maskT = tensor(mask, [rows.Count, width - 1], device: model.Device);
        var loss = Losses.CrossEntropy(logits, tensor(target, [rows.Count, width - 1], device: model.Device), maskT);
        double count = maskT.sum().item<float>();
        return (loss.item<float>() * count, (long)count);
    }
}
