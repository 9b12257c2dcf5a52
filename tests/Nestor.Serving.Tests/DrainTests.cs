using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using Nestor.Checkpoint;
using Nestor.Testing;

namespace Nestor.Serving.Tests;

/// <summary>
/// Shutdown: not ready at once, new requests 503, in-flight requests finish, exit 0. The in-flight request asks for
/// 3000 tokens so that it is still generating (seconds) while the test checks readiness and refusal.
/// </summary>
[Collection(ServingCollection.Name)]
public sealed class DrainTests(TinyCheckpoint checkpoint)
{
    [Fact]
    public async Task StoppingDrainsInFlightRequestsAndRefusesNewOnes()
    {
        await using var server = await TestServer.StartAsync(new ServeOptions { Checkpoint = checkpoint.Path, MaxTokens = 20000, MaxPromptTokens = 64 });
        using var inFlight = await LongRequest.StartAsync(server.Client, "tiny-elastic@b75", maxTokens: 3000);
        var stopping = server.Host.StopAsync();
        await AssertDrainingAsync(server.Client);
        await AssertCompletesAsync(inFlight, 3000);
        await stopping.WaitAsync(TimeSpan.FromSeconds(30));
    }

    [Fact]
    public async Task SigtermToARealServerProcessFinishesTheRequestInFlightAndExitsZero()
    {
        var before = Listing(checkpoint.Path);
        int port = FreePort();
        var nestor = Path.Combine(AppContext.BaseDirectory, "nestor.dll");
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[] { nestor, "serve", "--checkpoint", checkpoint.Path, "--host", "127.0.0.1", "--port", $"{port}", "--max-tokens", "4000", "--drain-timeout", "60" })
        {
            info.ArgumentList.Add(a);
        }

        using var process = Process.Start(info)!;
        var output = new System.Text.StringBuilder();
        process.OutputDataReceived += (_, e) => { lock (output) { output.AppendLine(e.Data); } };
        process.ErrorDataReceived += (_, e) => { lock (output) { output.AppendLine(e.Data); } };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            using var client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}"), Timeout = TimeSpan.FromSeconds(60) };
            Assert.True(await Eventually.TrueAsync(async () =>
            {
                try
                {
                    return (await client.GetAsync("/readyz")).StatusCode == HttpStatusCode.OK;
                }
                catch (HttpRequestException)
                {
                    return false;
                }
            }, TimeSpan.FromSeconds(60)), $"the server never became ready:\n{output}");

            using var inFlight = await LongRequest.StartAsync(client, "tiny-elastic", maxTokens: 3000);
            var kill = await ProcessRunner.RunAsync("kill", ["-TERM", $"{process.Id}"]);
            Assert.Equal(0, kill.ExitCode);
            await AssertDrainingAsync(client);
            await AssertCompletesAsync(inFlight, 3000);
            await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(60));
            Assert.True(process.ExitCode == 0, $"exit code {process.ExitCode}:\n{output}");
            Assert.Contains("drained", output.ToString());
        }
        finally
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }
        }

        Assert.Equal(before, Listing(checkpoint.Path)); // never writes into the checkpoint folder
        Assert.Equal(checkpoint.Digest, ContentDigest.Verify(checkpoint.Path));
    }

    [Fact]
    public async Task BadOptionsExitTwoWithAReason()
    {
        var nestor = Path.Combine(AppContext.BaseDirectory, "nestor.dll");
        var result = await ProcessRunner.RunAsync("dotnet", [nestor, "serve", "--checkpoint", checkpoint.Path, "--budgets", "full,b10", "--port", "0"], timeout: TimeSpan.FromMinutes(1));
        Assert.Equal(2, result.ExitCode);
        Assert.Contains("budget 'b10' is not in the checkpoint", result.StandardError);
    }

    private static async Task AssertDrainingAsync(HttpClient client)
    {
        Assert.True(await Eventually.TrueAsync(async () => (await client.GetAsync("/readyz")).StatusCode == HttpStatusCode.ServiceUnavailable));
        using var refused = await client.PostAsJsonAsync("/v1/completions", new { model = "tiny-elastic", prompt = "too late", max_tokens = 2 });
        Assert.Equal(HttpStatusCode.ServiceUnavailable, refused.StatusCode);
        Assert.Contains("shutting down", await refused.Content.ReadAsStringAsync());
        Assert.True(refused.Headers.Contains("Retry-After"));
    }

    private static async Task AssertCompletesAsync(LongRequest request, int maxTokens)
    {
        var chunks = new List<System.Text.Json.JsonElement>();
        bool done = false;
        await foreach (var data in Sse.DataAsync(request.Reader).WithCancellation(new CancellationTokenSource(TimeSpan.FromSeconds(60)).Token))
        {
            if (data == "[DONE]")
            {
                done = true;
                break;
            }

            chunks.Add(System.Text.Json.JsonDocument.Parse(data).RootElement.Clone());
        }

        Assert.True(done, "the in-flight stream ended with [DONE]");
        Assert.Equal("length", chunks[^2].GetProperty("choices")[0].GetProperty("finish_reason").GetString());
        Assert.Equal(maxTokens, chunks[^1].GetProperty("usage").GetProperty("completion_tokens").GetInt32());
    }

    private static string Listing(string folder) =>
        string.Join('\n', Directory.EnumerateFileSystemEntries(folder, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal)
            .Select(p => $"{p} {File.GetLastWriteTimeUtc(p):O} {(File.Exists(p) ? new FileInfo(p).Length : -1)}"));

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
