namespace Nestor.Serving.Scheduling;

/// <summary>
/// Finds stop strings in streamed text. Text that could still be the start of a stop string is held back until it
/// is decided, so no streamed chunk ever contains part of a stop string.
/// </summary>
public sealed class StopMatcher(IReadOnlyList<string> stops)
{
    private string _pending = "";

    /// <summary>Adds text; returns the text that is safe to emit and whether a stop string was reached.</summary>
    public (string Emit, bool Stopped) Add(string text)
    {
        _pending += text;
        if (stops.Count == 0)
        {
            var all = _pending;
            _pending = "";
            return (all, false);
        }

        int first = -1;
        foreach (var stop in stops)
        {
            int at = _pending.IndexOf(stop, StringComparison.Ordinal);
            if (at >= 0 && (first < 0 || at < first))
            {
                first = at;
            }
        }

        if (first >= 0)
        {
            var before = _pending[..first];
            _pending = "";
            return (before, true);
        }

        int hold = 0;
        foreach (var stop in stops)
        {
            for (int n = Math.Min(stop.Length - 1, _pending.Length); n > hold; n--)
            {
                if (_pending.AsSpan(_pending.Length - n).SequenceEqual(stop.AsSpan(0, n)))
                {
                    hold = n;
                    break;
                }
            }
        }

        var emit = _pending[..^hold];
        _pending = _pending[^hold..];
        return (emit, false);
    }

    /// <summary>The held-back text, at the end of a sequence that did not stop on a stop string.</summary>
    public string Flush()
    {
        var rest = _pending;
        _pending = "";
        return rest;
    }
}
