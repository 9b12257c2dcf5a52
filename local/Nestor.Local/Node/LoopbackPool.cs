using System.Globalization;
using System.Net;

namespace Nestor.Local.Node;

/// <summary>
/// Hands out loopback addresses under a two-octet prefix ("127.10" → 127.10.0.2, 127.10.0.3, …,
/// 127.10.255.254). Linux routes all of 127.0.0.0/8 to the loopback interface, so every address can
/// be bound without configuration. The lowest free address is reused first.
/// </summary>
public sealed class LoopbackPool
{
    private readonly Lock _lock = new();
    private readonly HashSet<int> _used = [];
    private readonly byte _first;
    private readonly byte _second;

    public LoopbackPool(string prefix)
    {
        var parts = prefix.Split('.');
        if (parts.Length != 2 || parts[0] != "127" || !byte.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out _second))
        {
            throw new FormatException($"'{prefix}' is not a loopback prefix such as 127.10");
        }

        _first = 127;
        Prefix = prefix;
    }

    public string Prefix { get; }

    public IPAddress Allocate()
    {
        lock (_lock)
        {
            for (var i = 2; i < 65535; i++)
            {
                if ((i & 0xff) is 0 or 255 || !_used.Add(i))
                {
                    continue;
                }

                return new IPAddress([_first, _second, (byte)(i >> 8), (byte)(i & 0xff)]);
            }
        }

        throw new InvalidOperationException($"no free address left under {Prefix}");
    }

    public void Release(IPAddress address)
    {
        var bytes = address.GetAddressBytes();
        if (bytes.Length == 4 && bytes[0] == _first && bytes[1] == _second)
        {
            lock (_lock)
            {
                _used.Remove((bytes[2] << 8) | bytes[3]);
            }
        }
    }

    /// <summary>Marks an address as taken (e.g. a pod found running after a restart).</summary>
    public bool Reserve(IPAddress address)
    {
        var bytes = address.GetAddressBytes();
        if (bytes.Length != 4 || bytes[0] != _first || bytes[1] != _second)
        {
            return false;
        }

        lock (_lock)
        {
            return _used.Add((bytes[2] << 8) | bytes[3]);
        }
    }
}
