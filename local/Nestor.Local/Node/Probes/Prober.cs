using System.Diagnostics;
using System.Net.Sockets;
using k8s.Models;

namespace Nestor.Local.Node.Probes;

/// <summary>The outcome of one probe: success, or failure with the reason kubelet would give.</summary>
public readonly record struct ProbeResult(bool Success, string Message);

/// <summary>
/// Runs one probe against a container as the kubelet does: httpGet (HTTP or HTTPS, host defaulting to
/// the pod IP, 200–399 is success, redirects not followed), tcpSocket (a connection opens) and exec
/// (the command, through the container's environment, exits 0). gRPC probes are reported as failures.
/// </summary>
public sealed class Prober : IDisposable
{
    private readonly HttpClient _http = new(new SocketsHttpHandler
    {
        UseProxy = false,
        AllowAutoRedirect = false,
        PooledConnectionLifetime = TimeSpan.Zero,
        SslOptions = { RemoteCertificateValidationCallback = (_, _, _, _) => true }, // kubelet does not verify probe certificates
    })
    {
        Timeout = Timeout.InfiniteTimeSpan,
    };

    public async Task<ProbeResult> ProbeAsync(V1Probe probe, V1Container container, string podIp,
        Func<IReadOnlyList<string>, (string Executable, IReadOnlyList<string> Arguments, IReadOnlyDictionary<string, string> Environment, string WorkingDirectory)> execSpec,
        CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(Math.Max(1, probe.TimeoutSeconds ?? 1)));
        try
        {
            if (probe.HttpGet is { } get)
            {
                var host = string.IsNullOrEmpty(get.Host) ? podIp : get.Host;
                var port = ResolvePort(get.Port, container);
                var path = string.IsNullOrEmpty(get.Path) ? "/" : get.Path.StartsWith('/') ? get.Path : "/" + get.Path;
                var scheme = get.Scheme?.ToUpperInvariant() == "HTTPS" ? "https" : "http";
                using var request = new HttpRequestMessage(HttpMethod.Get, $"{scheme}://{host}:{port}{path}");
                request.Headers.TryAddWithoutValidation("User-Agent", "kube-probe/1.32");
                foreach (var header in get.HttpHeaders ?? [])
                {
                    request.Headers.TryAddWithoutValidation(header.Name, header.Value);
                }

                using var response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, timeout.Token);
                var code = (int)response.StatusCode;
                return code is >= 200 and < 400
                    ? new ProbeResult(true, "")
                    : new ProbeResult(false, $"HTTP probe failed with statuscode: {code}");
            }

            if (probe.TcpSocket is { } tcp)
            {
                using var client = new TcpClient();
                await client.ConnectAsync(string.IsNullOrEmpty(tcp.Host) ? podIp : tcp.Host, ResolvePort(tcp.Port, container), timeout.Token);
                return new ProbeResult(true, "");
            }

            if (probe.Exec is { Command.Count: > 0 } exec)
            {
                var spec = execSpec(exec.Command.ToList());
                var info = new ProcessStartInfo(spec.Executable) { UseShellExecute = false, WorkingDirectory = spec.WorkingDirectory, RedirectStandardOutput = true, RedirectStandardError = true };
                foreach (var argument in spec.Arguments)
                {
                    info.ArgumentList.Add(argument);
                }

                info.Environment.Clear();
                foreach (var (name, value) in spec.Environment)
                {
                    info.Environment[name] = value;
                }

                using var process = Process.Start(info)!;
                var output = process.StandardOutput.ReadToEndAsync(timeout.Token);
                var error = process.StandardError.ReadToEndAsync(timeout.Token);
                try
                {
                    await process.WaitForExitAsync(timeout.Token);
                }
                catch (OperationCanceledException)
                {
                    process.Kill(entireProcessTree: true);
                    throw;
                }

                return process.ExitCode == 0
                    ? new ProbeResult(true, "")
                    : new ProbeResult(false, $"command {string.Join(' ', exec.Command)} exited with {process.ExitCode}: {(await output + await error).Trim()}");
            }

            return new ProbeResult(false, "unsupported probe (only httpGet, tcpSocket and exec run locally)");
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return new ProbeResult(false, $"probe timed out after {probe.TimeoutSeconds ?? 1}s");
        }
        catch (Exception e) when (e is HttpRequestException or SocketException or IOException or System.ComponentModel.Win32Exception or InvalidOperationException)
        {
            return new ProbeResult(false, e.Message);
        }
    }

    /// <summary>A probe's port: a number, or the name of one of the container's ports.</summary>
    public static int ResolvePort(IntOrString port, V1Container container)
    {
        var text = port.Value;
        if (int.TryParse(text, out var number))
        {
            return number;
        }

        return container.Ports?.FirstOrDefault(p => p.Name == text)?.ContainerPort
            ?? throw new InvalidOperationException($"the container has no port named \"{text}\"");
    }

    public void Dispose() => _http.Dispose();
}
