using System.Text.Json.Nodes;
using Nestor.ApiServer.Apply;
using Nestor.ApiServer.Patching;
using Nestor.ApiServer.Resources;
using Nestor.ApiServer.Selectors;
using Nestor.ApiServer.Tables;

namespace Nestor.ApiServer.Tests;

/// <summary>The building blocks: selectors, JSONPath, patches, field sets, ages.</summary>
public sealed class UnitTests
{
    private static readonly Dictionary<string, string> Labels = new() { ["app"] = "web", ["tier"] = "3" };

    [Theory]
    [InlineData("app=web", true)]
    [InlineData("app==web,tier=3", true)]
    [InlineData("app!=web", false)]
    [InlineData("app in (api, web)", true)]
    [InlineData("app notin (web)", false)]
    [InlineData("tier", true)]
    [InlineData("!tier", false)]
    [InlineData("!missing", true)]
    [InlineData("tier>2,tier<4", true)]
    [InlineData("missing!=x", true)]
    public void LabelSelector_Matches(string selector, bool expected) => Assert.Equal(expected, LabelSelector.Parse(selector).Matches(Labels));

    [Theory]
    [InlineData("app in web")]
    [InlineData("tier>x")]
    [InlineData("app=web,")]
    public void LabelSelector_RejectsMalformedSelectors(string selector) =>
        Assert.Equal(400, Assert.Throws<Http.ApiException>(() => LabelSelector.Parse(selector)).Code);

    [Fact]
    public void JsonPath_EvaluatesFieldsIndexesAndFilters()
    {
        var obj = JsonNode.Parse("""{"status":{"conditions":[{"type":"Ready","status":"False"},{"type":"Done","status":"True"}]},"spec":{"items":[1,2,3]}}""");
        Assert.Equal("True", (string?)JsonPathExpression.Parse(""".status.conditions[?(@.type=="Done")].status""").Evaluate(obj).Single());
        Assert.Equal(3, (int?)JsonPathExpression.Parse(".spec.items[-1]").Evaluate(obj).Single());
        Assert.Equal(3, JsonPathExpression.Parse("{.spec.items[*]}").Evaluate(obj).Count);
        Assert.Empty(JsonPathExpression.Parse(".spec.missing").Evaluate(obj));
    }

    [Fact]
    public void MergePatch_DeletesWithNull_AndReplacesLists()
    {
        var result = JsonMergePatch.Apply(JsonNode.Parse("""{"a":{"b":1,"c":2},"l":[1,2]}"""), JsonNode.Parse("""{"a":{"b":null},"l":[3]}"""));
        Assert.Equal("""{"a":{"c":2},"l":[3]}""", result!.ToJsonString());
    }

    [Fact]
    public void StrategicMergePatch_HonoursMergeKeysDirectivesAndOrder()
    {
        var original = (JsonObject)JsonNode.Parse("""{"metadata":{"finalizers":["a"]},"spec":{"containers":[{"name":"a","image":"1"},{"name":"b","image":"1"}]}}""")!;
        var patch = (JsonObject)JsonNode.Parse("""
            {"metadata":{"finalizers":["b"],"$deleteFromPrimitiveList/finalizers":["a"]},
             "spec":{"$setElementOrder/containers":[{"name":"b"},{"name":"a"}],"containers":[{"name":"b","image":"2"}]}}
            """)!;
        var type = TypeNode.Object(("metadata", BuiltinTypes.ObjectMeta), ("spec", BuiltinTypes.PodSpec));
        var result = StrategicMergePatch.Apply(original, patch, type);
        Assert.Equal("""{"metadata":{"finalizers":["b"]},"spec":{"containers":[{"name":"b","image":"2"},{"name":"a","image":"1"}]}}""", result.ToJsonString());
    }

    [Fact]
    public void FieldSet_RoundTripsFieldsV1_AndFormatsConflictPaths()
    {
        var json = (JsonObject)JsonNode.Parse("""{"f:spec":{"f:containers":{"k:{\"name\":\"app\"}":{".":{},"f:image":{}}}},"f:metadata":{"f:finalizers":{"v:\"x\"":{}}}}""")!;
        var set = FieldSet.FromFieldsV1(json);
        Assert.True(JsonNode.DeepEquals(json, set.ToFieldsV1()));
        Assert.Equal([".metadata.finalizers[=\"x\"]", ".spec.containers[name=\"app\"]", ".spec.containers[name=\"app\"].image"],
            set.Paths().Order(StringComparer.Ordinal));
    }

    [Theory]
    [InlineData(5, "5s")]
    [InlineData(150, "2m30s")]
    [InlineData(3600, "60m")]
    [InlineData(4 * 3600 + 120, "4h2m")]
    [InlineData(3 * 86400, "3d")]
    public void HumanDuration_MatchesKubectl(int seconds, string expected) => Assert.Equal(expected, HumanDuration.Format(TimeSpan.FromSeconds(seconds)));
}
