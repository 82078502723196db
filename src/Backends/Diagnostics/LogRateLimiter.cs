namespace BucketMount.Backends.Diagnostics;

/// <summary>
/// One log line per kind of failure per interval: during an outage every request fails the same way, and a
/// line for each (77 in one minute, measured) buries the progress line and what is actually new. The first
/// failure of a kind is logged at once; later ones within the interval are counted, and the next line that
/// gets through says how many were left out. Thread-safe.
/// </summary>
public sealed class LogRateLimiter(TimeSpan interval, TimeProvider? time = null)
{
    /// <summary>The interval the mount uses: short enough to show an outage is still on, long enough not to flood.</summary>
    public static readonly TimeSpan DefaultInterval = TimeSpan.FromSeconds(30);

    private readonly TimeProvider _time = time ?? TimeProvider.System;
    private readonly Dictionary<string, (long LastLogged, int Suppressed)> _kinds = new(StringComparer.Ordinal);

    /// <summary>
    /// True when a line for <paramref name="kind"/> may be logged now; <paramref name="suppressed"/> is then how
    /// many were left out since the last one.
    /// </summary>
    public bool ShouldLog(string kind, out int suppressed)
    {
        var now = _time.GetTimestamp();
        lock (_kinds)
        {
            if (_kinds.TryGetValue(kind, out var state) && _time.GetElapsedTime(state.LastLogged, now) < interval)
            {
                _kinds[kind] = (state.LastLogged, state.Suppressed + 1);
                suppressed = 0;
                return false;
            }

            suppressed = state.Suppressed;
            _kinds[kind] = (now, 0);
            return true;
        }
    }

    /// <summary>Forgets <paramref name="kind"/>: its next failure is logged at once (after the store came back, say).</summary>
    public void Reset(string kind)
    {
        lock (_kinds)
        {
            _kinds.Remove(kind);
        }
    }
}
