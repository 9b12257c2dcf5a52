using System.Text.Json.Nodes;
using Nestor.Checkpoint.Safetensors;

namespace Nestor.Checkpoint;

/// <summary>
/// <c>elastic.json</c>: the budgets of an elastic checkpoint. Construction validates everything against the config
/// (names, ranges, nesting, parameter counts), so an instance is always consistent with the config it was built for.
/// </summary>
public sealed class ElasticManifest
{
    public const string FileName = "elastic.json";
    public const int CurrentSchemaVersion = 1;

    private ElasticManifest(string name, IReadOnlyList<ElasticBudget> budgets, IReadOnlyList<int>? layerRanking)
    {
        Name = name;
        Budgets = budgets;
        LayerRanking = layerRanking;
    }

    /// <summary>The model's name (a DNS label).</summary>
    public string Name { get; }

    /// <summary>The budgets in file order.</summary>
    public IReadOnlyList<ElasticBudget> Budgets { get; }

    /// <summary>All layers, most important first (optional).</summary>
    public IReadOnlyList<int>? LayerRanking { get; }

    /// <summary>The largest budget (most parameters): what a request without a budget gets.</summary>
    public ElasticBudget Default => BySize[0];

    /// <summary>The smallest budget.</summary>
    public ElasticBudget Smallest => BySize[^1];

    /// <summary>The budgets, largest first.</summary>
    public IReadOnlyList<ElasticBudget> BySize => [.. Budgets.OrderByDescending(b => b.Params)];

    public ElasticBudget Get(string budgetName) =>
        TryGet(budgetName) ?? throw new KeyNotFoundException(
            $"model '{Name}' has no budget '{budgetName}'; it has {string.Join(", ", Budgets.Select(b => b.Name))}");

    public ElasticBudget? TryGet(string budgetName) => Budgets.FirstOrDefault(b => b.Name == budgetName);

    /// <summary>A validated manifest. Budgets' params and bytes are recomputed from the config.</summary>
    public static ElasticManifest Create(NemotronHConfig config, string name, IEnumerable<ElasticBudget> budgets,
        IReadOnlyList<int>? layerRanking = null)
    {
        var list = budgets.Select(b => b.WithCounts(config)).ToList();
        var manifest = new ElasticManifest(name, list, layerRanking);
        manifest.Validate(config, FileName, checkCounts: false);
        return manifest;
    }

    /// <summary>The manifest of a plain checkpoint: one budget named <c>full</c> that keeps everything.</summary>
    public static ElasticManifest ForPlainModel(NemotronHConfig config, string name, string budgetName = "full") =>
        Create(config, name, [ElasticBudget.Full(config, budgetName)]);

    public static ElasticManifest Load(string path, NemotronHConfig config)
    {
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (FileNotFoundException e)
        {
            throw new CheckpointFormatException(path, "file not found", e);
        }

        return Parse(text, config, path);
    }

    public static ElasticManifest Parse(string json, NemotronHConfig config, string source = FileName)
    {
        var f = new JsonFields(PythonJson.ParseObject(json, source), source);
        var version = f.RequireInt("schema_version");
        if (version != CurrentSchemaVersion)
        {
            throw f.Error("schema_version", $"is {version}; this version of Nestor reads schema_version {CurrentSchemaVersion}");
        }

        var name = f.RequireString("name");
        var ranking = f.OptionalIntArray("layer_ranking");
        var array = f.OptionalArray("budgets") ?? throw f.Error("budgets", "is required");
        var budgets = new List<ElasticBudget>();
        for (int i = 0; i < array.Count; i++)
        {
            if (array[i] is not JsonObject item)
            {
                throw f.Error($"budgets[{i}]", "must be an object");
            }

            var label = item["name"] is JsonValue v && v.TryGetValue<string>(out var s) ? s : null;
            var b = new JsonFields(item, source, $"budgets[{i}]{(label is null ? "" : $" ({label})")}.");
            budgets.Add(new ElasticBudget
            {
                Name = b.RequireString("name"),
                Params = b.RequireLong("params"),
                Bytes = b.RequireLong("bytes"),
                TargetParams = b.OptionalLong("target_params"),
                HiddenSize = b.RequireInt("hidden_size"),
                IntermediateSize = b.RequireInt("intermediate_size"),
                MambaHeadsPerGroup = b.RequireInt("mamba_heads_per_group"),
                NumKeyValueHeads = b.RequireInt("num_key_value_heads"),
                NumAttentionHeads = b.RequireInt("num_attention_heads"),
                Layers = b.RequireIntArray("layers"),
            });
        }

        var manifest = new ElasticManifest(name, budgets, ranking);
        manifest.Validate(config, source, checkCounts: true);
        return manifest;
    }

    public string ToJsonString()
    {
        var budgets = new JsonArray();
        foreach (var b in Budgets)
        {
            var item = new JsonObject
            {
                ["name"] = b.Name,
                ["params"] = b.Params,
                ["bytes"] = b.Bytes,
            };
            if (b.TargetParams is { } target)
            {
                item["target_params"] = target;
            }

            item["hidden_size"] = b.HiddenSize;
            item["intermediate_size"] = b.IntermediateSize;
            item["mamba_heads_per_group"] = b.MambaHeadsPerGroup;
            item["num_key_value_heads"] = b.NumKeyValueHeads;
            item["num_attention_heads"] = b.NumAttentionHeads;
            item["layers"] = new JsonArray([.. b.Layers.Select(l => (JsonNode)l)]);
            budgets.Add(item);
        }

        var root = new JsonObject { ["schema_version"] = CurrentSchemaVersion, ["name"] = Name };
        if (LayerRanking is not null)
        {
            root["layer_ranking"] = new JsonArray([.. LayerRanking.Select(l => (JsonNode)l)]);
        }

        root["budgets"] = budgets;
        return PythonJson.Serialize(root);
    }

    public void Save(string path) => AtomicFile.WriteAllText(path, ToJsonString());

    /// <summary>Why a budget does not fit a config (a field name and the reason), or null when it fits.</summary>
    public static string? CheckFits(ElasticBudget b, NemotronHConfig config)
    {
        string? Range(string field, int value, int max, string configField) =>
            value < 1 || value > max ? $"field '{field}' ({value}) must be between 1 and {max} (config.json {configField})" : null;

        var problem = DnsLabel.Problem(b.Name) is { } nameProblem ? $"field 'name' {nameProblem}" : null;
        problem ??= Range("hidden_size", b.HiddenSize, config.HiddenSize, "hidden_size");
        problem ??= Range("intermediate_size", b.IntermediateSize, config.IntermediateSize, "intermediate_size");
        problem ??= Range("mamba_heads_per_group", b.MambaHeadsPerGroup, config.MambaHeadsPerGroup, "mamba_num_heads / n_groups");
        problem ??= Range("num_key_value_heads", b.NumKeyValueHeads, config.NumKeyValueHeads, "num_key_value_heads");
        problem ??= Range("num_attention_heads", b.NumAttentionHeads, config.NumAttentionHeads, "num_attention_heads");
        if (problem is null && b.NumAttentionHeads % b.NumKeyValueHeads != 0)
        {
            problem = $"field 'num_attention_heads' ({b.NumAttentionHeads}) must be divisible by num_key_value_heads ({b.NumKeyValueHeads})";
        }

        if (problem is null && b.AttentionHeadsPerGroup > config.AttentionHeadsPerGroup)
        {
            problem = $"field 'num_attention_heads' ({b.NumAttentionHeads}) keeps {b.AttentionHeadsPerGroup} query heads per KV head, but the config has {config.AttentionHeadsPerGroup}";
        }

        if (problem is null && b.Layers.Count == 0)
        {
            problem = "field 'layers' must keep at least one layer";
        }

        for (int i = 0; problem is null && i < b.Layers.Count; i++)
        {
            if (b.Layers[i] < 0 || b.Layers[i] >= config.NumHiddenLayers)
            {
                problem = $"field 'layers' holds {b.Layers[i]}, outside the config's {config.NumHiddenLayers} layers";
            }
            else if (i > 0 && b.Layers[i] <= b.Layers[i - 1])
            {
                problem = $"field 'layers' must be unique and ascending ({b.Layers[i - 1]} then {b.Layers[i]})";
            }
        }

        return problem;
    }

    private void Validate(NemotronHConfig config, string source, bool checkCounts)
    {
        CheckpointFormatException Error(string message) => new(source, message);
        if (DnsLabel.Problem(Name) is { } nameProblem)
        {
            throw Error($"field 'name' {nameProblem}");
        }

        if (Budgets.Count == 0)
        {
            throw Error("field 'budgets' must list at least one budget");
        }

        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var b in Budgets)
        {
            if (!seen.Add(b.Name))
            {
                throw Error($"budget '{b.Name}' is listed twice");
            }

            if (CheckFits(b, config) is { } problem)
            {
                throw Error($"budget '{b.Name}': {problem}");
            }

            if (checkCounts)
            {
                long expected = ParameterCount.Of(config, b);
                if (b.Params != expected)
                {
                    throw Error($"budget '{b.Name}': field 'params' is {b.Params} but config.json and the budget's sizes give {expected}");
                }

                long bytes = expected * config.DType.Size();
                if (b.Bytes != bytes)
                {
                    throw Error($"budget '{b.Name}': field 'bytes' is {b.Bytes} but params × {config.DType.Size()} bytes ({config.TorchDtype}) is {bytes}");
                }
            }
        }

        if (LayerRanking is not null)
        {
            var sorted = LayerRanking.Order().ToArray();
            if (!sorted.SequenceEqual(Enumerable.Range(0, config.NumHiddenLayers)))
            {
                throw Error($"field 'layer_ranking' must list each of the config's {config.NumHiddenLayers} layers exactly once");
            }
        }

        var bySize = BySize;
        for (int i = 1; i < bySize.Count; i++)
        {
            for (int j = 0; j < i; j++)
            {
                if (!bySize[i].IsNestedIn(bySize[j]))
                {
                    throw Error($"budgets are not nested: '{bySize[i].Name}' ({bySize[i].Params} params) keeps something that the larger '{bySize[j].Name}' ({bySize[j].Params} params) drops ({Difference(bySize[i], bySize[j])})");
                }
            }
        }
    }

    private static string Difference(ElasticBudget small, ElasticBudget large)
    {
        var parts = new List<string>();
        void Check(string field, int s, int l)
        {
            if (s > l)
            {
                parts.Add($"{field} {s} > {l}");
            }
        }

        Check("hidden_size", small.HiddenSize, large.HiddenSize);
        Check("intermediate_size", small.IntermediateSize, large.IntermediateSize);
        Check("mamba_heads_per_group", small.MambaHeadsPerGroup, large.MambaHeadsPerGroup);
        Check("num_key_value_heads", small.NumKeyValueHeads, large.NumKeyValueHeads);
        Check("query heads per KV head", small.AttentionHeadsPerGroup, large.AttentionHeadsPerGroup);
        var extra = small.Layers.Except(large.Layers).ToArray();
        if (extra.Length > 0)
        {
            parts.Add($"layers {string.Join(", ", extra)}");
        }

        return string.Join("; ", parts);
    }
}
