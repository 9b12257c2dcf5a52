using System.Text.Json;

namespace Nestor.Training.Data;

/// <summary>The JSONL formats of user data (as in the CompressionRun's dataset.format).</summary>
public enum JsonlFormat
{
    /// <summary><c>{"text": "..."}</c>: language modelling on the whole text.</summary>
    Text,

    /// <summary><c>{"prompt": "...", "completion": "..."}</c>: loss on the completion only.</summary>
    PromptCompletion,
}

/// <summary>
/// User data: one JSON object per line. Splits are fixed by seed: the examples are shuffled with it, then the last
/// 10 % (at most 500) are the test split, the 5 % before them (at most 250) validation, the rest training. A bad
/// line (invalid JSON, a missing or non-string field) or an empty file stops with the file and line number.
/// </summary>
public sealed class JsonlDataset : ITaskData
{
    private readonly IReadOnlyList<TextExample> _train;

    private JsonlDataset(string name, IReadOnlyList<TextExample> train, IReadOnlyList<TextExample> validation, IReadOnlyList<TextExample> test)
    {
        Name = name;
        _train = train;
        Validation = validation;
        Test = test;
    }

    public string Name { get; }

    public IReadOnlyList<TextExample> Validation { get; }

    public IReadOnlyList<TextExample> Test { get; }

    public int TrainCount => _train.Count;

    public TextExample NextTrain(Random random, ExampleLength length) => _train[random.Next(_train.Count)];

    public static JsonlDataset Load(string path, JsonlFormat format, long seed)
    {
        var examples = Read(path, format);
        var random = DeterministicRandom.For(seed, DeterministicRandom.Split, 0);
        var shuffled = examples.ToArray();
        random.Shuffle(shuffled);
        int test = examples.Count >= 3 ? Math.Clamp(examples.Count / 10, 1, 500) : 0;
        int validation = examples.Count >= 3 ? Math.Clamp(examples.Count / 20, 1, 250) : 0;
        int train = shuffled.Length - test - validation;
        return new JsonlDataset(Path.GetFileNameWithoutExtension(path), shuffled[..train], shuffled[train..(train + validation)], shuffled[(train + validation)..]);
    }

    /// <summary>Every example of the file, in order.</summary>
    public static IReadOnlyList<TextExample> Read(string path, JsonlFormat format)
    {
        if (!File.Exists(path))
        {
            throw new DataFormatException($"{path}: no such file");
        }

        var result = new List<TextExample>();
        int lineNumber = 0;
        foreach (var line in File.ReadLines(path))
        {
            lineNumber++;
            if (string.IsNullOrWhiteSpace(line))
            {
                continue;
            }

            JsonElement root;
            try
            {
                using var document = JsonDocument.Parse(line);
                root = document.RootElement.Clone();
            }
            catch (JsonException e)
            {
                throw new DataFormatException($"{path}:{lineNumber}: invalid JSON: {e.Message}");
            }

            if (root.ValueKind != JsonValueKind.Object)
            {
                throw new DataFormatException($"{path}:{lineNumber}: expected a JSON object, got {root.ValueKind}");
            }

            string Field(string name)
            {
                if (!root.TryGetProperty(name, out var value))
                {
                    throw new DataFormatException($"{path}:{lineNumber}: missing field \"{name}\" (format {format})");
                }

                return value.ValueKind == JsonValueKind.String
                    ? value.GetString()!
                    : throw new DataFormatException($"{path}:{lineNumber}: field \"{name}\" must be a string, got {value.ValueKind}");
            }

            result.Add(format == JsonlFormat.Text
                ? new TextExample("", Field("text"))
                : new TextExample(Field("prompt"), Field("completion")));
        }

        return result.Count > 0 ? result : throw new DataFormatException($"{path}:{Math.Max(lineNumber, 1)}: empty file: no examples");
    }
}
