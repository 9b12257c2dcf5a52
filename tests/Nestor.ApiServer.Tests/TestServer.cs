using System.Net.Http.Headers;
using System.Text.Json.Nodes;
using k8s;
using k8s.Autorest;
using k8s.Models;

namespace Nestor.ApiServer.Tests;

/// <summary>Starts a local API server with test-friendly settings and gives a KubernetesClient for it.</summary>
internal static class TestServer
{
    public static Task<LocalApiServer> StartAsync(int historySize = 10_000, string? dataFile = null) =>
        LocalApiServer.StartAsync(new LocalApiServerOptions
        {
            HistorySize = historySize,
            BookmarkInterval = TimeSpan.FromMilliseconds(200),
            GarbageCollectionResync = TimeSpan.FromMilliseconds(500),
            DataFile = dataFile,
        });

    public static Kubernetes Client(this LocalApiServer server) => new(server.ClientConfiguration());

    /// <summary>The one document of <paramref name="kind"/> in a multi-document fixture, as a typed model.</summary>
    public static T FixtureObject<T>(string file, string kind) =>
        KubernetesYaml.Deserialize<T>(Fixture(file).Split("\n---\n").Single(d => d.Contains($"kind: {kind}\n", StringComparison.Ordinal)));

    public static string Fixture(string name) => File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Fixtures", name));

    /// <summary>Creates the Widget CRD and waits until it is Established.</summary>
    public static async Task InstallWidgetCrdAsync(this Kubernetes client)
    {
        var crd = KubernetesYaml.Deserialize<V1CustomResourceDefinition>(Fixture("widget-crd.yaml"));
        await client.ApiextensionsV1.CreateCustomResourceDefinitionAsync(crd);
        for (var i = 0; i < 100; i++)
        {
            var current = await client.ApiextensionsV1.ReadCustomResourceDefinitionAsync(crd.Metadata.Name);
            if (current.Status?.Conditions?.Any(c => c.Type == "Established" && c.Status == "True") == true)
            {
                return;
            }

            await Task.Delay(20);
        }

        throw new TimeoutException("CRD not established");
    }

    public static async Task<HttpOperationException> ExpectErrorAsync(Func<Task> action)
    {
        try
        {
            await action();
        }
        catch (HttpOperationException e)
        {
            return e;
        }

        throw new Xunit.Sdk.XunitException("expected the API call to fail");
    }

    public static JsonObject Status(this HttpOperationException e) => (JsonObject)JsonNode.Parse(e.Response.Content)!;

    public static async Task<(int Status, JsonNode? Body, HttpResponseMessage Response)> RawAsync(this LocalApiServer server, HttpMethod method, string path,
        string? body = null, string contentType = "application/json", string? accept = null)
    {
        using var http = new HttpClient();
        using var request = new HttpRequestMessage(method, server.Url + path);
        if (body is not null)
        {
            request.Content = new StringContent(body);
            request.Content.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
        }

        if (accept is not null)
        {
            request.Headers.TryAddWithoutValidation("Accept", accept);
        }

        var response = await http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        return ((int)response.StatusCode, text.Length == 0 ? null : JsonNode.Parse(text), response);
    }

    public static V1ConfigMap ConfigMap(string name, IDictionary<string, string>? labels = null, IDictionary<string, string>? data = null) => new()
    {
        Metadata = new V1ObjectMeta { Name = name, Labels = labels },
        Data = data ?? new Dictionary<string, string> { ["k"] = "v" },
    };
}
