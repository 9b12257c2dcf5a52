using System.Text.Json.Nodes;

namespace Nestor.Checkpoint;

/// <summary>
/// A Hugging Face <c>config.json</c> for <c>model_type: nemotron_h</c>. The typed properties are the fields the
/// kernels use; every other field is kept verbatim in <see cref="Json"/> and written back unchanged. Fields
/// that Hugging Face spells two ways (<c>n_groups</c>/<c>mamba_n_groups</c>, ...) are read under either name.
/// </summary>
public sealed class NemotronHConfig
{
    public const string FileName = "config.json";
    public const string ModelTypeName = "nemotron_h";

    private readonly JsonObject _json;

    private NemotronHConfig(JsonObject json, string source)
    {
        _json = json;
        var f = new JsonFields(json, source);

        var modelType = f.RequireString("model_type");
        if (modelType != ModelTypeName)
        {
            throw f.Error("model_type", $"must be \"{ModelTypeName}\", got \"{modelType}\"");
        }

        HybridOverridePattern = ReadPattern(f);
        LayerTypes = [.. HybridOverridePattern.Select(c => Checkpoint.LayerTypes.FromPatternChar(c)!.Value)];
        var layers = f.OptionalInt("num_hidden_layers");
        if (layers is { } n && n != HybridOverridePattern.Length)
        {
            throw f.Error("num_hidden_layers", $"is {n} but hybrid_override_pattern has {HybridOverridePattern.Length} layers");
        }

        HiddenSize = Positive(f, "hidden_size");
        VocabSize = Positive(f, "vocab_size");
        NumAttentionHeads = Positive(f, "num_attention_heads");
        NumKeyValueHeads = Positive(f, "num_key_value_heads");
        HeadDim = Positive(f, "head_dim", "attention_head_dim");
        IntermediateSize = Positive(f, "intermediate_size");
        MambaNumHeads = Positive(f, "mamba_num_heads");
        MambaHeadDim = Positive(f, "mamba_head_dim");
        NGroups = Positive(f, "n_groups", "mamba_n_groups");
        SsmStateSize = Positive(f, "ssm_state_size");
        ConvKernel = PositiveOr(f, 4, "conv_kernel", "mamba_d_conv");
        ChunkSize = PositiveOr(f, 128, "chunk_size", "mamba_chunk_size");
        LayerNormEpsilon = f.OptionalDouble("layer_norm_epsilon", "rms_norm_eps") ?? 1e-5;
        if (!(LayerNormEpsilon > 0) || !double.IsFinite(LayerNormEpsilon))
        {
            throw f.Error("layer_norm_epsilon", $"must be a positive number, got {LayerNormEpsilon}");
        }

        UseConvBias = f.OptionalBool("use_conv_bias", "mamba_conv_bias") ?? true;
        TimeStepLimit = ReadTimeStepLimit(f);
        TorchDtype = f.OptionalString("torch_dtype", "dtype") ?? "float32";
        if (TorchDtype is not ("float32" or "bfloat16" or "float16"))
        {
            throw f.Error(f.Present("torch_dtype", "dtype")!, $"must be float32, bfloat16 or float16, got \"{TorchDtype}\"");
        }

        BosTokenId = f.OptionalInt("bos_token_id");
        EosTokenId = ReadEos(f);
        PadTokenId = f.OptionalInt("pad_token_id");

        if (NumAttentionHeads % NumKeyValueHeads != 0)
        {
            throw f.Error("num_attention_heads", $"({NumAttentionHeads}) must be divisible by num_key_value_heads ({NumKeyValueHeads})");
        }

        if (MambaNumHeads % NGroups != 0)
        {
            throw f.Error("mamba_num_heads", $"({MambaNumHeads}) must be divisible by n_groups ({NGroups})");
        }

        RejectUnsupported(f);
    }

    /// <summary>The whole config as JSON, including the fields this class does not interpret. Do not modify.</summary>
    public JsonObject Json => _json;

    public string HybridOverridePattern { get; }

    public IReadOnlyList<LayerType> LayerTypes { get; }

    public int NumHiddenLayers => HybridOverridePattern.Length;

    public int HiddenSize { get; }

    public int VocabSize { get; }

    public int NumAttentionHeads { get; }

    public int NumKeyValueHeads { get; }

    public int HeadDim { get; }

    public int IntermediateSize { get; }

    public int MambaNumHeads { get; }

    public int MambaHeadDim { get; }

    public int NGroups { get; }

    public int SsmStateSize { get; }

    public int ConvKernel { get; }

    public int ChunkSize { get; }

    public double LayerNormEpsilon { get; }

    public bool UseConvBias { get; }

    /// <summary>Clamp of dt after softplus, as the Mamba kernels apply it: (min, max); default (0, +inf).</summary>
    public (double Min, double Max) TimeStepLimit { get; }

    /// <summary><c>float32</c>, <c>bfloat16</c> or <c>float16</c>: the dtype of every stored tensor.</summary>
    public string TorchDtype { get; }

    public int? BosTokenId { get; }

    public int? EosTokenId { get; }

    public int? PadTokenId { get; }

    /// <summary>I = H·P, the width of z, x and y in a Mamba mixer.</summary>
    public int MambaIntermediateSize => MambaNumHeads * MambaHeadDim;

    /// <summary>conv_dim = I + 2·G·N, the channels of the causal depthwise convolution.</summary>
    public int MambaConvDim => MambaIntermediateSize + (2 * NGroups * SsmStateSize);

    public int MambaHeadsPerGroup => MambaNumHeads / NGroups;

    /// <summary>Query heads per KV head.</summary>
    public int AttentionHeadsPerGroup => NumAttentionHeads / NumKeyValueHeads;

    public Safetensors.DType DType => Safetensors.DTypes.FromTorchDtype(TorchDtype);

    public static NemotronHConfig Parse(string json, string source = FileName) => new(PythonJson.ParseObject(json, source), source);

    public static NemotronHConfig Load(string path)
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

        return Parse(text, path);
    }

    /// <summary>The JSON text, as Hugging Face writes it (indented, non-finite numbers as bare literals).</summary>
    public string ToJsonString() => PythonJson.Serialize(_json);

    public void Save(string path) => AtomicFile.WriteAllText(path, ToJsonString());

    /// <summary>
    /// A new config with the given sizes and layer pattern and every other field unchanged: the config of a
    /// sliced budget. Fields with two spellings are updated under the spelling(s) present.
    /// </summary>
    public NemotronHConfig WithSizes(int hiddenSize, int intermediateSize, int mambaNumHeads, int numAttentionHeads,
        int numKeyValueHeads, string hybridOverridePattern)
    {
        var json = (JsonObject)_json.DeepClone();
        json["hidden_size"] = hiddenSize;
        json["intermediate_size"] = intermediateSize;
        json["mamba_num_heads"] = mambaNumHeads;
        json["num_attention_heads"] = numAttentionHeads;
        json["num_key_value_heads"] = numKeyValueHeads;
        json["hybrid_override_pattern"] = hybridOverridePattern;
        json["num_hidden_layers"] = hybridOverridePattern.Length;
        if (json.ContainsKey("layers_block_type"))
        {
            json["layers_block_type"] = new JsonArray([.. hybridOverridePattern.Select(c =>
                (JsonNode)Checkpoint.LayerTypes.FromPatternChar(c)!.Value.ToBlockTypeName())]);
        }

        return new NemotronHConfig(json, FileName);
    }

    /// <summary>A new config with fields set (or removed where the value is null), re-validated.</summary>
    public NemotronHConfig With(params (string Field, JsonNode? Value)[] changes)
    {
        var json = (JsonObject)_json.DeepClone();
        foreach (var (field, value) in changes)
        {
            if (value is null)
            {
                json.Remove(field);
            }
            else
            {
                json[field] = value.DeepClone();
            }
        }

        return new NemotronHConfig(json, FileName);
    }

    /// <summary>
    /// A config for a new model, with Hugging Face's field names and NemotronH defaults for the rest
    /// (relu² MLP, silu Mamba activation, conv bias, no other biases, untied embeddings).
    /// </summary>
    public static NemotronHConfig Create(string hybridOverridePattern, int hiddenSize, int vocabSize, int numAttentionHeads,
        int numKeyValueHeads, int headDim, int intermediateSize, int mambaNumHeads, int mambaHeadDim, int nGroups,
        int ssmStateSize, int convKernel = 4, int chunkSize = 128, double layerNormEpsilon = 1e-5,
        string torchDtype = "float32", int? bosTokenId = null, int? eosTokenId = null, int? padTokenId = null)
    {
        var json = new JsonObject
        {
            ["architectures"] = new JsonArray("NemotronHForCausalLM"),
            ["model_type"] = ModelTypeName,
            ["hybrid_override_pattern"] = hybridOverridePattern,
            ["num_hidden_layers"] = hybridOverridePattern.Length,
            ["hidden_size"] = hiddenSize,
            ["vocab_size"] = vocabSize,
            ["num_attention_heads"] = numAttentionHeads,
            ["num_key_value_heads"] = numKeyValueHeads,
            ["head_dim"] = headDim,
            ["intermediate_size"] = intermediateSize,
            ["mamba_num_heads"] = mambaNumHeads,
            ["mamba_head_dim"] = mambaHeadDim,
            ["n_groups"] = nGroups,
            ["ssm_state_size"] = ssmStateSize,
            ["conv_kernel"] = convKernel,
            ["chunk_size"] = chunkSize,
            ["expand"] = 2,
            ["layer_norm_epsilon"] = layerNormEpsilon,
            ["mlp_hidden_act"] = "relu2",
            ["mamba_hidden_act"] = "silu",
            ["use_conv_bias"] = true,
            ["use_bias"] = false,
            ["mamba_proj_bias"] = false,
            ["attention_bias"] = false,
            ["mlp_bias"] = false,
            ["residual_in_fp32"] = false,
            ["tie_word_embeddings"] = false,
            ["time_step_min"] = 0.001,
            ["time_step_max"] = 0.1,
            ["time_step_floor"] = 0.0001,
            ["time_step_limit"] = new JsonArray(PythonJson.FromDouble(0.0), PythonJson.FromDouble(double.PositiveInfinity)),
            ["use_mamba_kernels"] = true,
            ["use_cache"] = true,
            ["initializer_range"] = 0.02,
            ["rescale_prenorm_residual"] = true,
            ["max_position_embeddings"] = 4096,
            ["torch_dtype"] = torchDtype,
        };
        if (bosTokenId is { } bos)
        {
            json["bos_token_id"] = bos;
        }

        if (eosTokenId is { } eos)
        {
            json["eos_token_id"] = eos;
        }

        if (padTokenId is { } pad)
        {
            json["pad_token_id"] = pad;
        }

        return new NemotronHConfig(json, FileName);
    }

    private static int Positive(JsonFields f, string field, params string[] aliases)
    {
        var value = f.RequireInt(field, aliases);
        return value > 0 ? value : throw f.Error(f.Present([field, .. aliases])!, $"must be positive, got {value}");
    }

    private static int PositiveOr(JsonFields f, int fallback, string field, params string[] aliases)
    {
        var value = f.OptionalInt(field, aliases) ?? fallback;
        return value > 0 ? value : throw f.Error(f.Present([field, .. aliases])!, $"must be positive, got {value}");
    }

    private static string ReadPattern(JsonFields f)
    {
        var pattern = f.OptionalString("hybrid_override_pattern");
        var blockTypes = f.OptionalArray("layers_block_type");
        string? fromBlocks = null;
        if (blockTypes is not null)
        {
            var chars = new char[blockTypes.Count];
            for (int i = 0; i < chars.Length; i++)
            {
                var name = blockTypes[i] is JsonValue v && v.TryGetValue<string>(out var s) ? s : null;
                var type = name is null ? null : Checkpoint.LayerTypes.FromBlockTypeName(name);
                chars[i] = type?.ToPatternChar() ?? throw f.Error("layers_block_type",
                    $"element {i} ({blockTypes[i]?.ToJsonString() ?? "null"}) is not one of \"mamba\", \"attention\", \"mlp\"");
            }

            fromBlocks = new string(chars);
        }

        if (pattern is null)
        {
            return fromBlocks ?? throw f.Error("hybrid_override_pattern", "is required");
        }

        if (pattern.Length == 0)
        {
            throw f.Error("hybrid_override_pattern", "must have at least one layer");
        }

        for (int i = 0; i < pattern.Length; i++)
        {
            if (Checkpoint.LayerTypes.FromPatternChar(pattern[i]) is null)
            {
                var what = pattern[i] == 'E' ? "'E' (mixture of experts) is not supported" : $"has an unknown letter '{pattern[i]}'";
                throw f.Error("hybrid_override_pattern", $"{what} at layer {i}; use M (Mamba-2), * (attention) or - (MLP)");
            }
        }

        if (fromBlocks is not null && fromBlocks != pattern)
        {
            throw f.Error("layers_block_type", $"disagrees with hybrid_override_pattern \"{pattern}\"");
        }

        return pattern;
    }

    private static (double, double) ReadTimeStepLimit(JsonFields f)
    {
        var name = f.Present("time_step_limit", "mamba_dt_limit");
        if (name is null)
        {
            return (0.0, double.PositiveInfinity);
        }

        var array = f.OptionalArray(name)!;
        var low = array.Count == 2 ? PythonJson.AsDouble(array[0]) : null;
        var high = array.Count == 2 ? PythonJson.AsDouble(array[1]) : null;
        if (low is not { } min || high is not { } max || double.IsNaN(min) || double.IsNaN(max) || min > max || min < 0)
        {
            throw f.Error(name, $"must be [min, max] with 0 <= min <= max, got {array.ToJsonString()}");
        }

        // Written back as floats ([0.0, Infinity], not [0, Infinity]): transformers 5 refuses integers in this list.
        array[0] = PythonJson.FromDouble(min);
        array[1] = PythonJson.FromDouble(max);
        return (min, max);
    }

    private static int? ReadEos(JsonFields f)
    {
        // Hugging Face allows a list of end-of-sequence ids; the first is the one this runtime emits.
        if (f.Json["eos_token_id"] is JsonArray array)
        {
            return array.Count == 0 ? null : (int?)(PythonJson.AsDouble(array[0]) ?? throw f.Error("eos_token_id", "must hold integers"));
        }

        return f.OptionalInt("eos_token_id");
    }

    private static void RejectUnsupported(JsonFields f)
    {
        foreach (var flag in new[] { "use_bias", "mamba_proj_bias", "attention_bias", "mlp_bias", "tie_word_embeddings" })
        {
            if (f.OptionalBool(flag) == true)
            {
                throw f.Error(flag, "is true, which Nestor does not support (NemotronH checkpoints have no projection biases and untied embeddings)");
            }
        }

        var mlpAct = f.OptionalString("mlp_hidden_act", "hidden_act") ?? "relu2";
        if (mlpAct != "relu2")
        {
            throw f.Error(f.Present("mlp_hidden_act", "hidden_act")!, $"must be \"relu2\", got \"{mlpAct}\"");
        }

        var mambaAct = f.OptionalString("mamba_hidden_act") ?? "silu";
        if (mambaAct is not ("silu" or "swish"))
        {
            throw f.Error("mamba_hidden_act", $"must be \"silu\", got \"{mambaAct}\"");
        }
    }
}
