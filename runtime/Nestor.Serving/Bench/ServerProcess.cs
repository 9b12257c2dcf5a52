using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Nestor.Serving.Bench;

/// <summary>A `nestor serve` child process on a free loopback port, stopped with SIGTERM on dispose.</summary>
public sealed class ServerProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();

    private ServerProcess(Process process, Uri url)
    {
        _process = process;
        Url = url;
        Client = new HttpClient { BaseAddress = url, Timeout = TimeSpan.FromMinutes(10) };
        process.OutputDataReceived += (_, e) => Append(e.Data);
        process.ErrorDataReceived += (_, e) => Append(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    public Uri Url { get; }

    public HttpClient Client { get; }

    public int Pid => _process.Id;

    public string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    /// <summary>Starts <paramref name="command"/> + <c>serve</c> <paramref name="arguments"/> --port P and waits for /readyz.</summary>
    public static async Task<ServerProcess> StartAsync(IReadOnlyList<string> command, IEnumerable<string> arguments, TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        int port;
        using (var listener = new TcpListener(IPAddress.Loopback, 0))
        {
            listener.Start();
            port = ((IPEndPoint)listener.LocalEndpoint).Port;
        }

        var info = new ProcessStartInfo(command[0]) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in command.Skip(1).Concat(["serve", "--host", "127.0.0.1", "--port", $"{port}"]).Concat(arguments))
        {
            info.ArgumentList.Add(a);
        }

        var server = new ServerProcess(Process.Start(info) ?? throw new InvalidOperationException($"could not start {command[0]}"), new Uri($"http://127.0.0.1:{port}"));
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            if (server._process.HasExited)
            {
                throw new InvalidOperationException($"the server exited with {server._process.ExitCode}:\n{server.Output}");
            }

            try
            {
                using var ready = await server.Client.GetAsync("/readyz", cancellationToken);
                if (ready.IsSuccessStatusCode)
                {
                    return server;
                }
            }
            catch (HttpRequestException)
            {
            }

            if (DateTime.UtcNow > deadline)
            {
                await server.DisposeAsync();
                throw new TimeoutException($"the server was not ready within {timeout}:\n{server.Output}");
            }

            await Task.Delay(100, cancellationToken);
        }
    }

    /// <summary>Resident set size now (VmRSS) and at its peak (VmHWM), in bytes; from /proc.</summary>
    public (long Rss, long Peak) Memory()
    {
        long Field(string[] lines, string name) =>
            long.Parse(lines.First(l => l.StartsWith(name, StringComparison.Ordinal))[name.Length..].Trim().Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture) * 1024;
        var status = File.ReadAllLines($"/proc/{_process.Id}/status");
        return (Field(status, "VmRSS:"), Field(status, "VmHWM:"));
    }

    /// <summary>CPU time the server process has used so far (user and system, all threads).</summary>
    public TimeSpan CpuTime()
    {
        _process.Refresh();
        return _process.TotalProcessorTime;
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        if (!_process.HasExited)
        {
            using var kill = Process.Start("kill", ["-TERM", $"{_process.Id}"]);
            await kill.WaitForExitAsync();
            using var wait = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            try
            {
                await _process.WaitForExitAsync(wait.Token);
            }
            catch (OperationCanceledException)
            {
                _process.Kill(entireProcessTree: true);
            }
        }

        _process.Dispose();
    }

    private void Append(string? line)
    {
        if (line is not null)
        {
            lock (_output)
            {
                _output.AppendLine(line);
            }
        }
    }
}
