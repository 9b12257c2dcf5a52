using System.Net.Http.Json;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Logging;
using Nestor.Serving.Hosting;

namespace Nestor.Serving.Tests;

/// <summary>A real server on a loopback port (Kestrel, port 0) and an HttpClient for it.</summary>
public sealed partial class TestServer : IAsyncDisposable
{
    private TestServer(ServingHost host)
    {
        Host = host;
        Client = new HttpClient { BaseAddress = host.Address, Timeout = TimeSpan.FromSeconds(60) };
    }

    public ServingHost Host { get; }

    public HttpClient Client { get; }

    public static async Task<TestServer> StartAsync(ServeOptions options)
    {
        var host = ServingHost.Create(options with { Host = "127.0.0.1", Port = 0 }, logging => logging.SetMinimumLevel(LogLevel.Warning));
        await host.StartAsync();
        await host.Scheduler.Loaded.WaitAsync(TimeSpan.FromSeconds(60));
        return new TestServer(host);
    }

    public async Task<(HttpResponseMessage Response, JsonElement Body)> PostAsync(string path, object body)
    {
        var response = await Client.PostAsJsonAsync(path, body);
        var text = await response.Content.ReadAsStringAsync();
        return (response, JsonDocument.Parse(text).RootElement.Clone());
    }

    /// <summary>The value of one sample in /metrics, or null when absent.</summary>
    public async Task<double?> MetricAsync(string name, string labels)
    {
        var text = await Client.GetStringAsync("/metrics");
        var match = Regex.Match(text, "^" + Regex.Escape(name + "{" + labels + "}") + @" (\S+)$", RegexOptions.Multiline);
        return match.Success ? double.Parse(match.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture) : null;
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await Host.DisposeAsync();
    }
}
