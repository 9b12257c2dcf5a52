using System.Text;

namespace Nestor.Training.Data;

/// <summary>
/// The built-in reasoning task <c>arith-chains</c>: a chain of additions and subtractions over named values, answered
/// with a worked trace, for example prompt <c>a=17;b=a+5;c=b-9;c?</c> and completion <c> b=17+5=22;c=22-9=13;#13</c>.
/// Each step needs the previous step's result, so a longer chain needs more reasoning steps. Short chains have
/// <see cref="ShortSteps"/> steps, long ones <see cref="LongSteps"/>; values stay in 0..99, operands in 1..9.
/// Validation and test examples are generated from the seed and excluded from training.
/// </summary>
public sealed class ArithChainTask : ITaskData
{
    public const string TaskName = "arith-chains";
    public const int ShortSteps = 2;
    public const int LongSteps = 4;

    /// <summary>The seed of the validation and test splits unless the <c>seed</c> option says otherwise.</summary>
    public const long DefaultSplitSeed = 42;

    private readonly HashSet<string> _heldOut = new(StringComparer.Ordinal);

    public ArithChainTask(long seed, ExampleLength evalLength = ExampleLength.Mixed, int validationExamples = 200, int testExamples = 200)
    {
        EvalLength = evalLength;
        Test = Generate(DeterministicRandom.For(seed, DeterministicRandom.Split, 2), testExamples, evalLength);
        Validation = Generate(DeterministicRandom.For(seed, DeterministicRandom.Split, 1), validationExamples, evalLength);
    }

    public string Name => TaskName;

    public ExampleLength EvalLength { get; }

    public IReadOnlyList<TextExample> Validation { get; }

    public IReadOnlyList<TextExample> Test { get; }

    /// <summary>
    /// Options of <c>dataset.builtin.options</c>: <c>length</c> (short, long, mixed: the evaluation split),
    /// <c>testExamples</c>, <c>validationExamples</c>, <c>seed</c> (of the splits, default 42: the shipped teacher's).
    /// </summary>
    public static ArithChainTask FromOptions(IReadOnlyDictionary<string, string>? options)
    {
        long seed = DefaultSplitSeed;
        var length = ExampleLength.Mixed;
        int test = 200, validation = 200;
        foreach (var (key, value) in options ?? new Dictionary<string, string>())
        {
            switch (key)
            {
                case "length":
                    length = value switch
                    {
                        "short" => ExampleLength.Short,
                        "long" => ExampleLength.Long,
                        "mixed" => ExampleLength.Mixed,
                        _ => throw new ArgumentException($"dataset.builtin.options.length: '{value}' is not one of short, long, mixed"),
                    };
                    break;
                case "testExamples":
                    test = PositiveInt(key, value);
                    break;
                case "validationExamples":
                    validation = PositiveInt(key, value);
                    break;
                case "seed":
                    seed = PositiveInt(key, value);
                    break;
                default:
                    throw new ArgumentException($"dataset.builtin.options: unknown option '{key}' for task {TaskName} (known: length, testExamples, validationExamples, seed)");
            }
        }

        return new ArithChainTask(seed, length, validation, test);
    }

    public TextExample NextTrain(Random random, ExampleLength length)
    {
        while (true)
        {
            var example = Sample(random, length);
            if (!_heldOut.Contains(example.Prompt))
            {
                return example;
            }
        }
    }

    /// <summary>One example with a chain of <paramref name="steps"/> steps.</summary>
    public static TextExample Sample(Random random, int steps)
    {
        var prompt = new StringBuilder();
        var trace = new StringBuilder();
        int value = random.Next(10, 90);
        prompt.Append("a=").Append(value).Append(';');
        for (int i = 1; i <= steps; i++)
        {
            char previous = (char)('a' + i - 1), name = (char)('a' + i);
            int operand = random.Next(1, 10);
            bool add = random.Next(2) == 0;
            if (add && value + operand > 99)
            {
                add = false;
            }
            else if (!add && value - operand < 0)
            {
                add = true;
            }

            int next = add ? value + operand : value - operand;
            char op = add ? '+' : '-';
            prompt.Append(name).Append('=').Append(previous).Append(op).Append(operand).Append(';');
            trace.Append(name).Append('=').Append(value).Append(op).Append(operand).Append('=').Append(next).Append(';');
            value = next;
        }

        char last = (char)('a' + steps);
        prompt.Append(last).Append('?');
        string answer = value.ToString(System.Globalization.CultureInfo.InvariantCulture);
        return new TextExample(prompt.ToString(), " " + trace + "#" + answer, answer);
    }

    private TextExample Sample(Random random, ExampleLength length) => Sample(random, length switch
    {
        ExampleLength.Short => ShortSteps,
        ExampleLength.Long => LongSteps,
        _ => random.Next(1, LongSteps + 1),
    });

    private List<TextExample> Generate(Random random, int count, ExampleLength length)
    {
        var result = new List<TextExample>(count);
        while (result.Count < count)
        {
            var example = Sample(random, length);
            if (_heldOut.Add(example.Prompt))
            {
                result.Add(example);
            }
        }

        return result;
    }

    private static int PositiveInt(string key, string value) =>
        int.TryParse(value, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int n) && n > 0
            ? n
            : throw new ArgumentException($"dataset.builtin.options.{key}: '{value}' is not a positive integer");
}
