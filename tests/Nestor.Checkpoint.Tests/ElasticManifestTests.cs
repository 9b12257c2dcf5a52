using System.Text.Json.Nodes;

namespace Nestor.Checkpoint.Tests;

public sealed class ElasticManifestTests
{
    private static readonly NemotronHConfig Config = TinyCheckpoints.Config();

    [Fact]
    public void RoundTripsAndOrdersBudgetsBySize()
    {
        var manifest = TinyCheckpoints.Manifest(Config);
        var again = ElasticManifest.Parse(manifest.ToJsonString(), Config);
        Assert.Equal(manifest.ToJsonString(), again.ToJsonString());
        Assert.Equal("full", again.Default.Name);
        Assert.Equal("b50", again.Smallest.Name);
        Assert.Equal(ParameterCount.Of(Config), again.Default.Params);
        Assert.Equal(again.Get("b75").Params * 4, again.Get("b75").Bytes);
        var error = Assert.Throws<KeyNotFoundException>(() => again.Get("b10"));
        Assert.Contains("full, b75, b50", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void APlainModelIsOneFullBudget()
    {
        var manifest = ElasticManifest.ForPlainModel(Config, "tiny");
        var budget = Assert.Single(manifest.Budgets);
        Assert.Equal("full", budget.Name);
        Assert.Equal(ParameterCount.Of(Config), budget.Params);
        Assert.Equal(Enumerable.Range(0, 8), budget.Layers);
    }

    [Theory]
    // nesting: a smaller budget keeps something a larger one drops
    [InlineData("b50", "hidden_size", "28", "are not nested")]
    [InlineData("b50", "layers", "[0, 2, 3, 5]", "are not nested: 'b50'")]
    [InlineData("b50", "mamba_heads_per_group", "4", "mamba_heads_per_group 4 > 3")]
    // the group constraint and ranges
    [InlineData("b50", "mamba_heads_per_group", "5", "'mamba_heads_per_group' (5) must be between 1 and 4")]
    [InlineData("b75", "num_attention_heads", "3", "'num_attention_heads' (3) must be divisible by num_key_value_heads (2)")]
    [InlineData("b50", "num_attention_heads", "4", "keeps 4 query heads per KV head, but the config has 2")]
    [InlineData("b50", "hidden_size", "0", "'hidden_size' (0) must be between 1 and 32")]
    [InlineData("b50", "layers", "[0, 3, 2]", "must be unique and ascending")]
    [InlineData("b50", "layers", "[0, 8]", "holds 8, outside the config's 8 layers")]
    [InlineData("b50", "params", "12345", "field 'params' is 12345 but config.json and the budget's sizes give")]
    [InlineData("b50", "bytes", "1", "field 'bytes' is 1 but params × 4 bytes (float32) is")]
    [InlineData("b50", "name", "\"B_50\"", "is not a DNS label")]
    [InlineData("b50", "name", "\"b75\"", "budget 'b75' is listed twice")]
    [InlineData("b50", "intermediate_size", null, "field 'budgets[2] (b50).intermediate_size' is required")]
    public void AnInvalidManifestNamesTheBudgetAndField(string budget, string field, string? value, string expected)
    {
        var json = JsonNode.Parse(TinyCheckpoints.Manifest(Config).ToJsonString())!.AsObject();
        var item = json["budgets"]!.AsArray().Single(b => b!["name"]!.GetValue<string>() == budget)!.AsObject();
        if (value is null)
        {
            item.Remove(field);
        }
        else
        {
            item[field] = JsonNode.Parse(value);
        }

        // Keep params consistent unless the test is about params, so the error is the one under test.
        if (field is not ("params" or "bytes" or "name") && value is not null && CountsParse(item) is { } counts)
        {
            item["params"] = counts;
            item["bytes"] = counts * 4;
        }

        var error = Assert.Throws<CheckpointFormatException>(() => ElasticManifest.Parse(json.ToJsonString(), Config, "/c/elastic.json"));
        Assert.StartsWith("/c/elastic.json: ", error.Message, StringComparison.Ordinal);
        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("schema_version", "2", "'schema_version' is 2; this version of Nestor reads schema_version 1")]
    [InlineData("schema_version", null, "'schema_version' is required")]
    [InlineData("name", "\"Tiny Model\"", "field 'name' \"Tiny Model\" is not a DNS label")]
    [InlineData("budgets", "[]", "must list at least one budget")]
    [InlineData("layer_ranking", "[0, 1, 2]", "'layer_ranking' must list each of the config's 8 layers exactly once")]
    public void AnInvalidManifestTopLevelNamesTheField(string field, string? value, string expected)
    {
        var json = JsonNode.Parse(TinyCheckpoints.Manifest(Config).ToJsonString())!.AsObject();
        if (value is null)
        {
            json.Remove(field);
        }
        else
        {
            json[field] = JsonNode.Parse(value);
        }

        var error = Assert.Throws<CheckpointFormatException>(() => ElasticManifest.Parse(json.ToJsonString(), Config));
        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void CreateRejectsABudgetThatDoesNotFit()
    {
        var error = Assert.Throws<ArgumentException>(() => ElasticBudget.Create(Config, "b", 16, 16, 5, 1, 1, [0]));
        Assert.Contains("budget 'b': field 'mamba_heads_per_group' (5)", error.Message, StringComparison.Ordinal);
    }

    private static long? CountsParse(JsonObject item)
    {
        try
        {
            var layers = item["layers"]!.AsArray().Select(n => n!.GetValue<int>()).ToArray();
            var budget = new ElasticBudget
            {
                Name = "x",
                HiddenSize = item["hidden_size"]!.GetValue<int>(),
                IntermediateSize = item["intermediate_size"]!.GetValue<int>(),
                MambaHeadsPerGroup = item["mamba_heads_per_group"]!.GetValue<int>(),
                NumKeyValueHeads = item["num_key_value_heads"]!.GetValue<int>(),
                NumAttentionHeads = item["num_attention_heads"]!.GetValue<int>(),
                Layers = layers,
            };
            return ElasticManifest.CheckFits(budget, Config) is null ? ParameterCount.Of(Config, budget) : null;
        }
        catch (Exception e) when (e is NullReferenceException or InvalidOperationException or FormatException)
        {
            return null;
        }
    }
}
