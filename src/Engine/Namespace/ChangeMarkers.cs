namespace BucketMount.Engine.Namespace;

/// <summary>
/// When the engine last changed each path and listing (a sequence number), kept apart from the size-limited
/// metadata cache so that a full cache never makes the engine forget its own change and then cache a store answer
/// sent before it. Memory is bounded: a marker is let go once <c>capacity</c> newer ones exist or it is older than
/// <c>horizon</c>, and letting go raises a floor below which every answer counts as changed. Forgetting therefore
/// costs at most an answer not cached (one from a query older than the forgotten change), never a stale one.
/// </summary>
internal sealed class ChangeMarkers(int capacity, TimeSpan horizon)
{
    private readonly object _gate = new();
    private readonly Dictionary<string, long> _latest = new(StringComparer.Ordinal);
    private readonly Queue<(string Marker, long Sequence, long MarkedAtMs)> _order = new();
    private readonly long _horizonMs = (long)horizon.TotalMilliseconds;
    private long _forgottenUpTo;

    public void Mark(string marker, long sequence)
    {
        var now = Environment.TickCount64;
        lock (_gate)
        {
            if (!_latest.TryGetValue(marker, out var known) || known < sequence)
            {
                _latest[marker] = sequence;
            }

            _order.Enqueue((marker, sequence, now));
            while (_order.Count > capacity || now - _order.Peek().MarkedAtMs > _horizonMs)
            {
                var (oldest, at, _) = _order.Dequeue();
                if (_latest.TryGetValue(oldest, out var latest) && latest == at)
                {
                    _latest.Remove(oldest);
                }

                _forgottenUpTo = Math.Max(_forgottenUpTo, at);
            }
        }
    }

    /// <summary>True when <paramref name="marker"/> changed after <paramref name="stamp"/>, or may have (forgotten).</summary>
    public bool ChangedSince(string marker, long stamp)
    {
        lock (_gate)
        {
            return _forgottenUpTo > stamp || (_latest.TryGetValue(marker, out var changedAt) && changedAt > stamp);
        }
    }
}
