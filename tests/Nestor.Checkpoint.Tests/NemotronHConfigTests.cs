using System.Text.Json.Nodes;

namespace Nestor.Checkpoint.Tests;

public sealed class NemotronHConfigTests
{
    // Nemotron-Nano-12B-v2's published config.json (the fields that matter, plus some the kernels do not read).
    internal const string Nano12BConfig = """
        {
          "architectures": ["NemotronHForCausalLM"],
          "model_type": "nemotron_h",
          "hybrid_override_pattern": "M-M-M-M*-M-M-M-M*-M-M-M-M*-M-M-M-M*-M-M-M-M*-M-M-M-M*-M-M-M-M-",
          "num_hidden_layers": 62,
          "hidden_size": 5120,
          "intermediate_size": 20480,
          "num_attention_heads": 40,
          "num_key_value_heads": 8,
          "head_dim": 128,
          "mamba_num_heads": 128,
          "mamba_head_dim": 80,
          "n_groups": 8,
          "ssm_state_size": 128,
          "conv_kernel": 4,
          "chunk_size": 128,
          "vocab_size": 131072,
          "layer_norm_epsilon": 1e-05,
          "use_conv_bias": true,
          "mamba_proj_bias": false,
          "use_bias": false,
          "mlp_bias": false,
          "attention_bias": false,
          "tie_word_embeddings": false,
          "mlp_hidden_act": "relu2",
          "mamba_hidden_act": "silu",
          "time_step_limit": [0.0, Infinity],
          "time_step_min": 0.001,
          "rope_theta": 10000,
          "auto_map": {"AutoConfig": "configuration_nemotron_h.NemotronHConfig"},
          "bos_token_id": 1,
          "eos_token_id": 12,
          "pad_token_id": 0,
          "torch_dtype": "bfloat16"
        }
        """;

    [Fact]
    public void ReadsThePublished12BConfig()
    {
        var config = NemotronHConfig.Parse(Nano12BConfig);
        Assert.Equal(62, config.NumHiddenLayers);
        Assert.Equal(28, config.LayerTypes.Count(t => t == LayerType.Mamba));
        Assert.Equal(28, config.LayerTypes.Count(t => t == LayerType.Mlp));
        Assert.Equal(6, config.LayerTypes.Count(t => t == LayerType.Attention));
        Assert.Equal(10240, config.MambaIntermediateSize);
        Assert.Equal(12288, config.MambaConvDim);
        Assert.Equal(16, config.MambaHeadsPerGroup);
        Assert.Equal(5, config.AttentionHeadsPerGroup);
        Assert.Equal((0.0, double.PositiveInfinity), config.TimeStepLimit);
        Assert.Equal(Safetensors.DType.BF16, config.DType);
    }

    [Fact]
    public void UnknownFieldsAndNonFiniteLiteralsSurviveARoundTrip()
    {
        var config = NemotronHConfig.Parse(Nano12BConfig);
        var text = config.ToJsonString();
        Assert.Contains("Infinity", text, StringComparison.Ordinal);
        Assert.DoesNotContain("python:", text, StringComparison.Ordinal);
        var again = NemotronHConfig.Parse(text);
        Assert.Equal(text, again.ToJsonString());
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse(Nano12BConfig.Replace("Infinity", "1e999", StringComparison.Ordinal)),
            JsonNode.Parse(text.Replace("Infinity", "1e999", StringComparison.Ordinal))));
        Assert.Equal("configuration_nemotron_h.NemotronHConfig", again.Json["auto_map"]!["AutoConfig"]!.GetValue<string>());
        Assert.Equal(10000, again.Json["rope_theta"]!.GetValue<int>());
    }

    [Fact]
    public void CreatedConfigsWriteTheTimeStepLimitAsFloats()
    {
        // transformers 5 validates config fields by type: an integer 0 in time_step_limit (list[float]) is refused.
        var text = TinyCheckpoints.Config().ToJsonString();
        var limit = JsonNode.Parse(text.Replace("Infinity", "1e999", StringComparison.Ordinal))!["time_step_limit"]!.AsArray();
        Assert.Equal("0.0", limit[0]!.ToJsonString());
        Assert.Matches("\"time_step_limit\": \\[\\s*0\\.0,\\s*Infinity\\s*\\]", text);
        Assert.Equal((0.0, double.PositiveInfinity), NemotronHConfig.Parse(text).TimeStepLimit);
        Assert.Equal(text, NemotronHConfig.Parse(text).ToJsonString());
    }

    [Fact]
    public void WithSizesChangesOnlyTheSizes()
    {
        var config = NemotronHConfig.Parse(Nano12BConfig);
        var sliced = config.WithSizes(3136, 12544, 96, 40, 8, "M-M*");
        Assert.Equal(3136, sliced.HiddenSize);
        Assert.Equal(4, sliced.NumHiddenLayers);
        Assert.Equal(4, sliced.Json["num_hidden_layers"]!.GetValue<int>());
        Assert.Equal(12, sliced.MambaHeadsPerGroup);
        Assert.Equal(config.Json["auto_map"]!.ToJsonString(), sliced.Json["auto_map"]!.ToJsonString());
        Assert.Equal(5120, config.HiddenSize);
    }

    [Fact]
    public void AcceptsTheAlternativeSpellings()
    {
        var config = NemotronHConfig.Parse("""
            {
              "model_type": "nemotron_h", "layers_block_type": ["mamba", "mlp", "attention"],
              "hidden_size": 64, "vocab_size": 10, "num_attention_heads": 4, "num_key_value_heads": 2,
              "attention_head_dim": 16, "intermediate_size": 128, "mamba_num_heads": 8, "mamba_head_dim": 8,
              "mamba_n_groups": 4, "ssm_state_size": 16, "mamba_d_conv": 3, "mamba_chunk_size": 32, "rms_norm_eps": 1e-6
            }
            """);
        Assert.Equal("M-*", config.HybridOverridePattern);
        Assert.Equal((4, 16, 3, 32, 1e-6), (config.NGroups, config.HeadDim, config.ConvKernel, config.ChunkSize, config.LayerNormEpsilon));
        var sliced = config.WithSizes(32, 64, 4, 2, 1, "M*");
        Assert.Equal(["mamba", "attention"], sliced.Json["layers_block_type"]!.AsArray().Select(n => n!.GetValue<string>()));
    }

    [Theory]
    [InlineData("hybrid_override_pattern", "\"M-X*\"", "unknown letter 'X' at layer 2")]
    [InlineData("hybrid_override_pattern", "\"M-E\"", "'E' (mixture of experts) is not supported")]
    [InlineData("num_key_value_heads", "7", "'num_attention_heads' (40) must be divisible by num_key_value_heads (7)")]
    [InlineData("n_groups", "3", "'mamba_num_heads' (128) must be divisible by n_groups (3)")]
    [InlineData("hidden_size", null, "'hidden_size' is required")]
    [InlineData("mamba_head_dim", null, "'mamba_head_dim' is required")]
    [InlineData("hidden_size", "\"big\"", "'hidden_size' must be an integer")]
    [InlineData("hidden_size", "-5", "'hidden_size' must be positive")]
    [InlineData("num_hidden_layers", "61", "'num_hidden_layers' is 61 but hybrid_override_pattern has 62 layers")]
    [InlineData("model_type", "\"llama\"", "'model_type' must be \"nemotron_h\"")]
    [InlineData("torch_dtype", "\"int8\"", "'torch_dtype' must be float32, bfloat16 or float16")]
    [InlineData("tie_word_embeddings", "true", "'tie_word_embeddings' is true, which Nestor does not support")]
    [InlineData("mlp_hidden_act", "\"gelu\"", "'mlp_hidden_act' must be \"relu2\"")]
    [InlineData("time_step_limit", "[1.0, 0.5]", "'time_step_limit' must be [min, max]")]
    public void AnInvalidConfigNamesTheField(string field, string? value, string expected)
    {
        var json = JsonNode.Parse(Nano12BConfig.Replace("Infinity", "1e300", StringComparison.Ordinal))!.AsObject();
        if (value is null)
        {
            json.Remove(field);
        }
        else
        {
            json[field] = JsonNode.Parse(value);
        }

        var error = Assert.Throws<CheckpointFormatException>(() => NemotronHConfig.Parse(json.ToJsonString(), "/ckpt/config.json"));
        Assert.StartsWith("/ckpt/config.json: ", error.Message, StringComparison.Ordinal);
        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void MalformedJsonNamesTheFile()
    {
        var error = Assert.Throws<CheckpointFormatException>(() => NemotronHConfig.Parse("{\"hidden_size\": ", "/x/config.json"));
        Assert.StartsWith("/x/config.json: invalid JSON", error.Message, StringComparison.Ordinal);
    }
}
