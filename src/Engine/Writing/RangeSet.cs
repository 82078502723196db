namespace BucketMount.Engine.Writing;

/// <summary>
/// Which byte ranges of a staging file hold the file's real content (written locally, or fetched from the store).
/// Sorted, non-overlapping, merged half-open intervals. Not thread-safe: the owner locks.
/// </summary>
internal sealed class RangeSet
{
    private readonly List<(long Start, long End)> _ranges = [];

    public IReadOnlyList<(long Start, long End)> Ranges => _ranges;

    public void Add(long start, long end)
    {
        if (end <= start)
        {
            return;
        }

        var i = 0;
        while (i < _ranges.Count && _ranges[i].End < start)
        {
            i++;
        }

        var mergedStart = start;
        var mergedEnd = end;
        while (i < _ranges.Count && _ranges[i].Start <= end)
        {
            mergedStart = Math.Min(mergedStart, _ranges[i].Start);
            mergedEnd = Math.Max(mergedEnd, _ranges[i].End);
            _ranges.RemoveAt(i);
        }

        _ranges.Insert(i, (mergedStart, mergedEnd));
    }

    /// <summary>Forgets everything at or past <paramref name="length"/>.</summary>
    public void Truncate(long length)
    {
        for (var i = _ranges.Count - 1; i >= 0; i--)
        {
            if (_ranges[i].Start >= length)
            {
                _ranges.RemoveAt(i);
            }
            else if (_ranges[i].End > length)
            {
                _ranges[i] = (_ranges[i].Start, length);
            }
        }
    }

    public bool Covers(long start, long end) => Missing(start, end).Count == 0;

    /// <summary>The parts of [start, end) that are not present.</summary>
    public List<(long Start, long End)> Missing(long start, long end)
    {
        var gaps = new List<(long, long)>();
        var cursor = start;
        foreach (var (rangeStart, rangeEnd) in _ranges)
        {
            if (rangeEnd <= cursor)
            {
                continue;
            }

            if (rangeStart >= end)
            {
                break;
            }

            if (rangeStart > cursor)
            {
                gaps.Add((cursor, rangeStart));
            }

            cursor = Math.Max(cursor, rangeEnd);
            if (cursor >= end)
            {
                break;
            }
        }

        if (cursor < end)
        {
            gaps.Add((cursor, end));
        }

        return gaps;
    }

    public long PresentBytes => _ranges.Sum(r => r.End - r.Start);
}
