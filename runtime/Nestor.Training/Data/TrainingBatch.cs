using static TorchSharp.torch;

namespace Nestor.Training.Data;

/// <summary>
/// A batch of packed sequences: each row is examples laid end to end (<c>BOS prompt completion EOS</c>, repeated) cut to
/// the sequence length. <see cref="LossMask"/> is 1 where the target is a completion token or EOS.
/// </summary>
public sealed class TrainingBatch : IDisposable
{
    private TrainingBatch(Tensor inputs, Tensor targets, Tensor lossMask, long tokens)
    {
        Inputs = inputs;
        Targets = targets;
        LossMask = lossMask;
        Tokens = tokens;
    }

    /// <summary>[B, L] int64.</summary>
    public Tensor Inputs { get; }

    /// <summary>[B, L] int64: the next token of every position.</summary>
    public Tensor Targets { get; }

    /// <summary>[B, L] float32.</summary>
    public Tensor LossMask { get; }

    /// <summary>Tokens in the batch (B × L).</summary>
    public long Tokens { get; }

    public static TrainingBatch Pack(ITaskData data, TrainingTokenizer tokenizer, Random random, ExampleLength length, int batchSize, int sequenceLength, Device? device = null)
    {
        int width = sequenceLength + 1;
        var ids = new long[batchSize * width];
        var scored = new float[batchSize * width];
        for (int row = 0; row < batchSize; row++)
        {
            int at = row * width, end = at + width;
            while (at < end)
            {
                var example = data.NextTrain(random, length);
                var prompt = tokenizer.Encode(example.Prompt);
                var completion = tokenizer.Encode(example.Completion);
                void Put(long id, bool score)
                {
                    if (at < end)
                    {
                        ids[at] = id;
                        scored[at] = score ? 1f : 0f;
                        at++;
                    }
                }

                Put(tokenizer.Bos, false);
                foreach (var id in prompt)
                {
                    Put(id, false);
                }

                foreach (var id in completion)
                {
                    Put(id, true);
                }

                Put(tokenizer.Eos, true);
            }
        }

        using var all = tensor(ids, [batchSize, width], device: device);
        using var mask = tensor(scored, [batchSize, width], device: device);
        return new TrainingBatch(
            all.narrow(1, 0, sequenceLength).contiguous(),
            all.narrow(1, 1, sequenceLength).contiguous(),
            mask.narrow(1, 1, sequenceLength).contiguous(),
            (long)batchSize * sequenceLength);
    }

    public void Dispose()
    {
        Inputs.Dispose();
        Targets.Dispose();
        LossMask.Dispose();
    }
}
