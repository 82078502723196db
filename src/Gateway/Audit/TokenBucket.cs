namespace BucketMount.Gateway.Audit;

/// <summary>A rate with a one-second burst. The lock guards arithmetic only: no I/O and no waiting inside it.</summary>
internal sealed class TokenBucket(double rate, TimeProvider clock)
{
    private readonly Lock _lock = new();
    private readonly double _perSecond = rate;
    private double _tokens = rate;
    private long _last = clock.GetTimestamp();

    /// <summary>Takes <paramref name="amount"/> and returns how long to wait before using it (zero when within the rate).</summary>
    public TimeSpan Take(double amount)
    {
        lock (_lock)
        {
            Refill();
            _tokens -= amount;
            return _tokens >= 0 ? TimeSpan.Zero : TimeSpan.FromSeconds(-_tokens / _perSecond);
        }
    }

    /// <summary>Takes one token only if there is one.</summary>
    public bool TryTakeOne()
    {
        lock (_lock)
        {
            Refill();
            if (_tokens < 1)
            {
                return false;
            }

            _tokens -= 1;
            return true;
        }
    }

    private void Refill()
    {
        var now = clock.GetTimestamp();
        _tokens = Math.Min(_perSecond, _tokens + clock.GetElapsedTime(_last, now).TotalSeconds * _perSecond);
        _last = now;
    }
}
