using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;

namespace Nestor.Local.Services;

/// <summary>One backend of a Service port: a ready pod's IP and target port.</summary>
public sealed record Endpoint(string Ip, int Port, string Pod);

/// <summary>
/// Listens on a Service's clusterIP and port and forwards each connection to one of the current
/// endpoints, round robin (as kube-proxy's userspace mode). With no endpoint, a connection is
/// closed at once (clients see a reset, as with kube-proxy's REJECT rule).
/// </summary>
public sealed class ServiceListener : IAsyncDisposable
{
    private readonly TcpListener _listener;
    private readonly CancellationTokenSource _stop = new();
    private readonly ILogger _logger;
    private readonly Task _accept;
    private volatile IReadOnlyList<Endpoint> _endpoints = [];
    private int _next;

    public ServiceListener(IPAddress address, int port, ILogger logger)
    {
        _logger = logger;
        _listener = new TcpListener(address, port);
        _listener.Server.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
        _listener.Start();
        Address = address;
        Port = port;
        _accept = AcceptLoopAsync(_stop.Token);
    }

    public IPAddress Address { get; }

    public int Port { get; }

    public IReadOnlyList<Endpoint> Endpoints
    {
        get => _endpoints;
        set => _endpoints = value;
    }

    private async Task AcceptLoopAsync(CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await _listener.AcceptTcpClientAsync(cancellationToken);
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException)
            {
                return;
            }

            _ = ForwardAsync(client, cancellationToken);
        }
    }

    private async Task ForwardAsync(TcpClient client, CancellationToken cancellationToken)
    {
        using var _ = client;
        var endpoints = _endpoints;
        if (endpoints.Count == 0)
        {
            client.Client.LingerState = new LingerOption(true, 0);
            return;
        }

        var endpoint = endpoints[(int)((uint)Interlocked.Increment(ref _next) % (uint)endpoints.Count)];
        using var backend = new TcpClient();
        try
        {
            await backend.ConnectAsync(endpoint.Ip, endpoint.Port, cancellationToken);
        }
        catch (Exception e) when (e is SocketException or OperationCanceledException)
        {
            _logger.LogDebug("Service {Address}:{Port}: endpoint {Endpoint} refused: {Message}", Address, Port, endpoint, e.Message);
            client.Client.LingerState = new LingerOption(true, 0);
            return;
        }

        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var up = PumpAsync(client.Client, backend.Client, stop.Token);
        var down = PumpAsync(backend.Client, client.Client, stop.Token);
        await Task.WhenAll(up, down);
    }

    /// <summary>Copies one direction until its source ends, then half-closes the destination.</summary>
    private static async Task PumpAsync(Socket from, Socket to, CancellationToken cancellationToken)
    {
        var buffer = new byte[64 * 1024];
        try
        {
            while (true)
            {
                var read = await from.ReceiveAsync(buffer, SocketFlags.None, cancellationToken);
                if (read == 0)
                {
                    break;
                }

                await to.SendAsync(buffer.AsMemory(0, read), SocketFlags.None, cancellationToken);
            }

            to.Shutdown(SocketShutdown.Send);
        }
        catch (Exception e) when (e is SocketException or OperationCanceledException or ObjectDisposedException)
        {
            try
            {
                to.Shutdown(SocketShutdown.Both);
            }
            catch (Exception inner) when (inner is SocketException or ObjectDisposedException)
            {
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        await _accept;
        _stop.Dispose();
    }
}
