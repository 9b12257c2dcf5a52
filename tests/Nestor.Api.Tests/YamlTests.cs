using System.Text.Json.Nodes;
using Nestor.Api.Crds;
using Nestor.Api.Manifests;

namespace Nestor.Api.Tests;

/// <summary>YAML in (manifests, trainer configs) and out (generated CRDs) keeps every value's type.</summary>
public sealed class YamlTests
{
    [Fact]
    public void PlainScalarsAreTypedByTheCoreSchema()
    {
        var doc = YamlToJson.Parse("""
            int: 8000
            negative: -3
            big: 12310001152
            float: 9.0e-5
            quoted: "8000"
            single: '1.0'
            yes: yes
            bool: true
            nothing: ~
            empty:
            hex: 0x1F
            text: hello world
            date: 2026-01-01
            list: [1, "2", three]
            """).AsObject();
        Assert.Equal(8000, doc["int"]!.GetValue<long>());
        Assert.Equal(-3, doc["negative"]!.GetValue<long>());
        Assert.Equal(12_310_001_152, doc["big"]!.GetValue<long>());
        Assert.Equal(9e-5, doc["float"]!.GetValue<double>());
        Assert.Equal("8000", doc["quoted"]!.GetValue<string>());
        Assert.Equal("1.0", doc["single"]!.GetValue<string>());
        Assert.Equal("yes", doc["yes"]!.GetValue<string>());
        Assert.True(doc["bool"]!.GetValue<bool>());
        Assert.True(doc.ContainsKey("nothing") && doc["nothing"] is null);
        Assert.Null(doc["empty"]);
        Assert.Equal(31, doc["hex"]!.GetValue<long>());
        Assert.Equal("hello world", doc["text"]!.GetValue<string>());
        Assert.Equal("2026-01-01", doc["date"]!.GetValue<string>());
        Assert.Equal("[1,\"2\",\"three\"]", doc["list"]!.ToJsonString());
    }

    [Fact]
    public void DocumentsAnchorsAndErrors()
    {
        var docs = YamlToJson.ParseDocuments("a: 1\n---\n---\nbase: &b {x: 1}\ncopy: *b\n");
        Assert.Equal(2, docs.Count);
        Assert.Equal("{\"x\":1}", docs[1]["copy"]!.ToJsonString());

        var duplicate = Assert.ThrowsAny<YamlToJsonException>(() => YamlToJson.Parse("a: 1\nb: 2\na: 3\n", "dup.yaml"));
        Assert.Contains("dup.yaml: line 3", duplicate.Message, StringComparison.Ordinal);
        Assert.Contains("duplicate key \"a\"", duplicate.Message, StringComparison.Ordinal);

        var broken = Assert.ThrowsAny<YamlToJsonException>(() => YamlToJson.Parse("a: [1, 2\nb: 3\n", "broken.yaml"));
        Assert.Contains("broken.yaml: line", broken.Message, StringComparison.Ordinal);

        Assert.Throws<YamlToJsonException>(() => YamlToJson.Parse("a: 1\n---\nb: 2\n"));
        Assert.Throws<YamlToJsonException>(() => YamlToJson.Parse("? [a, b]\n: 1\n"));
    }

    [Theory]
    [InlineData("true")]
    [InlineData("yes")]
    [InlineData("Off")]
    [InlineData("null")]
    [InlineData("~")]
    [InlineData("1.0")]
    [InlineData("0755")]
    [InlineData("1e5")]
    [InlineData("0x1F")]
    [InlineData(".inf")]
    [InlineData("12:30")]
    [InlineData("2026-01-01")]
    [InlineData("")]
    [InlineData(" leading space")]
    [InlineData("a: b")]
    [InlineData("x #y")]
    [InlineData("#comment")]
    [InlineData("- item")]
    [InlineData("*alias")]
    [InlineData("&anchor")]
    [InlineData("!tag")]
    [InlineData("{a}")]
    [InlineData("[1]")]
    [InlineData("'quoted'")]
    [InlineData("\"dq\"")]
    [InlineData("line\nbreak")]
    [InlineData("^(\\+|-)?[0-9]+$")]
    [InlineData("self.a == 'x' || !has(self.b)")]
    public void WrittenStringsReadBackAsTheSameStrings(string value)
    {
        var tree = new JsonObject { ["key"] = value, ["list"] = new JsonArray(value), [value] = 1 };
        var yaml = YamlWriter.Write(tree);
        var back = YamlToJson.Parse(yaml).AsObject();
        Assert.Equal(value, back["key"]!.GetValue<string>());
        Assert.Equal(value, back["list"]![0]!.GetValue<string>());
        Assert.Equal(1, back[value]!.GetValue<long>());
    }

    [Fact]
    public void WrittenYamlKeepsNumbersBooleansAndEmptyCollections()
    {
        var tree = JsonNode.Parse("""{"a":1,"b":0.05,"c":9E-05,"d":true,"e":null,"f":{},"g":[],"h":{"i":[{"j":"k"}]}}""")!;
        var yaml = YamlWriter.Write(tree, "header\n\nsecond line");
        Assert.StartsWith("# header\n#\n# second line\n", yaml, StringComparison.Ordinal);
        Assert.Contains("f: {}\n", yaml, StringComparison.Ordinal);
        Assert.Contains("g: []\n", yaml, StringComparison.Ordinal);
        Assert.True(JsonNode.DeepEquals(tree, YamlToJson.Parse(yaml)), yaml);
    }
}
