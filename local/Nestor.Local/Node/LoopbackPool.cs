using System.Globalization;
using System.Net;

namespace Nestor.Local.Node;

/// <summary>
/// Hands out loopback addresses under a two-octet prefix ("127.10" → 127.10.0.2, 127.10.0.3, …,
/// 127.10.255.254). Linux routes all of 127.0.0.0/8 to the loopback interface, so every address can
/// be bound without configuration. The lowest free address is reused first. Addresses are also
/// claimed machine-wide with a lock file each (an advisory lock held while the address is in use),
/// so that two local clusters on one machine (parallel tests, two users) never share one.
/// </summary>
public sealed class LoopbackPool : IDisposable
{
    private readonly Lock _lock = new();
    private readonly HashSet<int> _used = [];
    private readonly Dictionary<int, FileStream> _claims = [];
    private readonly string? _lockDirectory;
    private readonly byte _first;
    private readonly byte _second;

    /// <param name="prefix">Two octets, "127.x".</param>
    /// <param name="lockDirectory">Where the machine-wide claims live; null: no claims (this process only).</param>
    public LoopbackPool(string prefix, string? lockDirectory = null)
    {
        _lockDirectory = lockDirectory;
        if (lockDirectory is not null)
        {
            Directory.CreateDirectory(lockDirectory);
        }

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
                if ((i & 0xff) is 0 or 255 || _used.Contains(i))
                {
                    continue;
                }

                var address = new IPAddress([_first, _second, (byte)(i >> 8), (byte)(i & 0xff)]);
                if (!TryClaim(i, address))
                {
                    continue;
                }

                _used.Add(i);
                return address;
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
                var i = (bytes[2] << 8) | bytes[3];
                _used.Remove(i);
                if (_claims.Remove(i, out var claim))
                {
                    claim.Dispose(); // the file stays: deleting it could let two claimants lock different inodes
                }
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
            var i = (bytes[2] << 8) | bytes[3];
            return !_used.Contains(i) && TryClaim(i, address) && _used.Add(i);
        }
    }

    public void Dispose()
    {
        lock (_lock)
        {
            foreach (var claim in _claims.Values)
            {
                claim.Dispose();
            }

            _claims.Clear();
            _used.Clear();
        }
    }

    /// <summary>An exclusive lock on &lt;lockDirectory&gt;/&lt;address&gt;.lock (flock on Linux); false when another process holds it.</summary>
    private bool TryClaim(int index, IPAddress address)
    {
        if (_lockDirectory is null)
        {
            return true;
        }

        try
        {
            _claims[index] = new FileStream(Path.Combine(_lockDirectory, address + ".lock"), FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            return true;
        }
        catch (IOException)
        {
            return false;
        }
        catch (UnauthorizedAccessException)
        {
            return false;
        }
    }
}
