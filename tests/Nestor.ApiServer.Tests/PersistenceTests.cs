using k8s;

namespace Nestor.ApiServer.Tests;

/// <summary>The optional data file: objects and the resource version survive a restart; old watches must relist.</summary>
public sealed class PersistenceTests
{
    [Fact]
    public async Task Restart_RestoresObjectsCrdsAndResourceVersion()
    {
        var file = Path.Combine(Path.GetTempPath(), $"nestor-data-{Guid.NewGuid():N}.json");
        try
        {
            long rv;
            await using (var server = await TestServer.StartAsync(dataFile: file))
            {
                var client = server.Client();
                await client.InstallWidgetCrdAsync();
                await client.CustomObjects.CreateNamespacedCustomObjectAsync(
                    System.Text.Json.Nodes.JsonNode.Parse("""{"apiVersion":"test.nestor.dev/v1","kind":"Widget","metadata":{"name":"kept"},"spec":{"size":"small"}}"""),
                    "test.nestor.dev", "v1", "default", "widgets");
                await client.CoreV1.CreateNamespacedConfigMapAsync(TestServer.ConfigMap("kept"), "default");
                rv = server.ResourceVersion;
            }

            Assert.True(File.Exists(file));
            await using (var restarted = await TestServer.StartAsync(dataFile: file))
            {
                var client = restarted.Client();
                Assert.Equal(rv, restarted.ResourceVersion);
                Assert.Equal("v", (await client.CoreV1.ReadNamespacedConfigMapAsync("kept", "default")).Data["k"]);
                await client.CustomObjects.GetNamespacedCustomObjectAsync("test.nestor.dev", "v1", "default", "widgets", "kept");
                var created = await client.CoreV1.CreateNamespacedConfigMapAsync(TestServer.ConfigMap("after"), "default");
                Assert.True(long.Parse(created.Metadata.ResourceVersion, System.Globalization.CultureInfo.InvariantCulture) > rv);
                var (_, expired, _) = await restarted.RawAsync(HttpMethod.Get, $"/api/v1/namespaces/default/configmaps?watch=true&resourceVersion={rv - 1}");
                Assert.Equal(410, (int?)expired!["object"]!["code"]);
            }
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public async Task CorruptDataFile_FailsStartWithTheFileName()
    {
        var file = Path.Combine(Path.GetTempPath(), $"nestor-data-{Guid.NewGuid():N}.json");
        await File.WriteAllTextAsync(file, "{not json");
        try
        {
            var error = await Assert.ThrowsAsync<InvalidOperationException>(() => TestServer.StartAsync(dataFile: file));
            Assert.Contains(file, error.Message, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(file);
        }
    }
}
