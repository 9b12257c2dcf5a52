using System.Text.RegularExpressions;
using Nestor.Testing;
using Nestor.Training.Data;

namespace Nestor.Training.Tests;

public sealed partial class DataTests
{
    [Fact]
    public void ArithChainTracesAreCorrectArithmetic()
    {
        var random = new Random(1);
        for (int i = 0; i < 500; i++)
        {
            var steps = 1 + (i % 4);
            var example = ArithChainTask.Sample(random, steps);
            var values = new Dictionary<char, int> { ['a'] = int.Parse(StartValue().Match(example.Prompt).Groups[1].Value) };
            var traceSteps = TraceStep().Matches(example.Completion);
            Assert.Equal(steps, traceSteps.Count);
            foreach (Match m in traceSteps)
            {
                char name = m.Groups[1].Value[0];
                int left = int.Parse(m.Groups[2].Value), right = int.Parse(m.Groups[4].Value), result = int.Parse(m.Groups[5].Value);
                Assert.Equal(values[(char)(name - 1)], left);
                Assert.Equal(m.Groups[3].Value == "+" ? left + right : left - right, result);
                Assert.InRange(result, 0, 99);
                values[name] = result;
            }

            Assert.Equal(values[(char)('a' + steps)].ToString(), example.Answer);
            Assert.EndsWith("#" + example.Answer, example.Completion);
        }
    }

    [Fact]
    public void SplitsAreFixedBySeedAndHeldOutOfTraining()
    {
        var a = new ArithChainTask(42, testExamples: 50, validationExamples: 50);
        var b = new ArithChainTask(42, testExamples: 50, validationExamples: 50);
        var c = new ArithChainTask(43, testExamples: 50, validationExamples: 50);
        Assert.Equal(a.Test, b.Test);
        Assert.NotEqual(a.Test, c.Test);
        var heldOut = a.Test.Concat(a.Validation).Select(e => e.Prompt).ToHashSet();
        Assert.Equal(100, heldOut.Count);
        var random = new Random(9);
        for (int i = 0; i < 20000; i++)
        {
            Assert.DoesNotContain(a.NextTrain(random, ExampleLength.Short).Prompt, heldOut);
        }
    }

    [Fact]
    public void ShortAndLongChainsHaveTheirStepCounts()
    {
        var task = new ArithChainTask(1, testExamples: 1, validationExamples: 1);
        var random = new Random(2);
        Assert.Equal(ArithChainTask.ShortSteps, task.NextTrain(random, ExampleLength.Short).Completion.Count(ch => ch == ';'));
        Assert.Equal(ArithChainTask.LongSteps, task.NextTrain(random, ExampleLength.Long).Completion.Count(ch => ch == ';'));
    }

    [Fact]
    public void UnknownBuiltinOptionIsRejected()
    {
        var e = Assert.Throws<ArgumentException>(() => ArithChainTask.FromOptions(new Dictionary<string, string> { ["colour"] = "blue" }));
        Assert.Contains("colour", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("{\"prompt\": \"a\", \"completion\": \"b\"}\n{\"prompt\": \"a\"\n", 2, "invalid JSON")]
    [InlineData("{\"prompt\": \"a\", \"completion\": \"b\"}\n\n{\"prompt\": \"a\"}\n", 3, "missing field \"completion\"")]
    [InlineData("{\"prompt\": \"a\", \"completion\": 5}\n", 1, "must be a string")]
    [InlineData("[1, 2]\n", 1, "expected a JSON object")]
    [InlineData("", 1, "empty file")]
    [InlineData("\n\n", 2, "empty file")]
    public void BadJsonlStopsWithFileAndLine(string content, int line, string problem)
    {
        using var scratch = new ScratchDirectory("train-data");
        var path = scratch.Combine("data.jsonl");
        File.WriteAllText(path, content);
        var e = Assert.Throws<DataFormatException>(() => JsonlDataset.Read(path, JsonlFormat.PromptCompletion));
        Assert.StartsWith($"{path}:{line}: ", e.Message, StringComparison.Ordinal);
        Assert.Contains(problem, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void JsonlSplitsAreFixedBySeed()
    {
        using var scratch = new ScratchDirectory("train-data");
        var path = scratch.Combine("data.jsonl");
        File.WriteAllLines(path, Enumerable.Range(0, 100).Select(i => $"{{\"text\": \"line {i}\"}}"));
        var a = JsonlDataset.Load(path, JsonlFormat.Text, 1);
        var b = JsonlDataset.Load(path, JsonlFormat.Text, 1);
        Assert.Equal(a.Test, b.Test);
        Assert.Equal(10, a.Test.Count);
        Assert.Equal(5, a.Validation.Count);
        Assert.Equal(85, a.TrainCount);
        Assert.Empty(a.Test.Intersect(a.Validation));
    }

    [Fact]
    public void ByteTokenizerRoundTripsUtf8()
    {
        var tokenizer = TrainingTokenizer.Byte(256, 257, 258, 259);
        var ids = tokenizer.Encode("a=1; é");
        Assert.All(ids, id => Assert.InRange(id, 0, 255));
        Assert.Equal("a=1; é", tokenizer.Decode([tokenizer.Bos, .. ids, tokenizer.Eos]));
    }

    [Fact]
    public void PackedBatchesScoreOnlyCompletionsAndAreSeedDeterministic()
    {
        var task = new ArithChainTask(1, testExamples: 1, validationExamples: 1);
        var tokenizer = TrainingTokenizer.Byte(256, 257, 258, 259);
        using var a = TrainingBatch.Pack(task, tokenizer, new Random(4), ExampleLength.Mixed, 2, 64);
        using var b = TrainingBatch.Pack(task, tokenizer, new Random(4), ExampleLength.Mixed, 2, 64);
        Assert.True(a.Inputs.eq(b.Inputs).all().item<bool>());
        var inputs = a.Inputs.data<long>().ToArray();
        var targets = a.Targets.data<long>().ToArray();
        var mask = a.LossMask.data<float>().ToArray();
        Assert.Equal(inputs[1..64], targets[..63]);
        // Every scored target is a completion byte or EOS; the token after '?' (the prompt's end) starts the completion.
        for (int i = 0; i < 64; i++)
        {
            if (inputs[i] == '?')
            {
                Assert.Equal(1f, mask[i]);
            }

            if (targets[i] == tokenizer.Bos)
            {
                Assert.Equal(0f, mask[i]);
            }
        }
    }

    [GeneratedRegex(@"^a=(\d+);")]
    private static partial Regex StartValue();

    [GeneratedRegex(@"([b-z])=(\d+)([+-])(\d+)=(\d+);")]
    private static partial Regex TraceStep();
}
