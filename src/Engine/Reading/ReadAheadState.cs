namespace BucketMount.Engine.Reading;

/// <summary>
/// Per-handle sequential-read detection: a read that starts where the last one ended grows the read-ahead window
/// (doubling up to a maximum); a jump resets it. Random readers never trigger read-ahead.
/// </summary>
public sealed class ReadAheadState(long initialWindow, long maxWindow)
{
    private long _nextOffset = -1;
    private long _window;

    /// <summary>Records a read and returns how many bytes past its end to prefetch (0 when not sequential).</summary>
    public long OnRead(long offset, int length)
    {
        lock (this)
        {
            var sequential = offset == _nextOffset || (offset == 0 && _nextOffset < 0);
            _nextOffset = offset + length;
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
