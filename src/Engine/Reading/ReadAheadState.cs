namespace BucketMount.Engine.Reading;

/// <summary>
/// Per-handle sequential-read detection: a read that starts where the last one ended grows the read-ahead window
/// (doubling up to a maximum); a jump resets it. Random readers never trigger read-ahead. A read that lands
/// within <see cref="ReorderTolerance"/> of where the last one ended still counts as sequential: the kernel
/// sends a sequential reader's read-ahead as several reads at once (FUSE async reads), and they can arrive out
/// of order; treating that as a jump would end the reader's stream and start another.
/// </summary>
internal sealed class ReadAheadState(long initialWindow, long maxWindow)
{
    /// <summary>How far before or after the expected offset a read may land and still be sequential.</summary>
    public const long ReorderTolerance = 1024 * 1024;

    private long _nextOffset = -1;
    private long _window;
    private int _randomMisses;

    /// <summary>The open-ended GET feeding this reader, when streaming reads are on and it is reading sequentially.</summary>
    internal SequentialStream? Stream { get; set; }

    /// <summary>How many read-ahead GETs this reader keeps in flight (parallel read-ahead); created on its first sequential read.</summary>
    internal AdaptiveRuns? Runs { get; set; }

    /// <summary>The whole-file streams a random reader of a small enough file started (see <see cref="ObjectReader"/>).</summary>
    internal IReadOnlyList<SequentialStream>? WholeFile { get; set; }

    /// <summary>Counts a random read that missed the cache; true once, when the count reaches <paramref name="threshold"/>.</summary>
    public bool OnRandomMiss(int threshold)
    {
        lock (this)
        {
            return ++_randomMisses == threshold;
        }
    }

    /// <summary>Ends every stream of this handle (it closed).</summary>
    public void StopAll()
    {
        lock (this)
        {
            StopStream();
            foreach (var stream in WholeFile ?? [])
            {
                stream.Stop();
            }

            WholeFile = null;
        }
    }

    /// <summary>Ends the reader's stream, if any (a jump, or the handle closed).</summary>
    public void StopStream()
    {
        lock (this)
        {
            Stream?.Stop();
            Stream = null;
        }
    }

    /// <summary>Records a read and returns how many bytes past its end to prefetch (0 when not sequential).</summary>
    public long OnRead(long offset, int length)
    {
        lock (this)
        {
            var sequential = (offset == 0 && _nextOffset < 0)
                || (_nextOffset >= 0 && offset >= _nextOffset - ReorderTolerance && offset <= _nextOffset + ReorderTolerance);
            _nextOffset = sequential ? Math.Max(_nextOffset, offset + length) : offset + length;
            if (!sequential)
            {
                _window = 0;
                return 0;
            }

            _window = _window == 0 ? Math.Min(initialWindow, maxWindow) : Math.Min(_window * 2, maxWindow);
            return _window;
        }
    }
}
