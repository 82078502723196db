using System.Diagnostics;

namespace BucketMount.Engine.Reading;

/// <summary>
/// How many read-ahead GETs one sequential reader keeps in flight: <see cref="StartingRuns"/> at first, twice as many
/// each time a full round at the current number delivered clearly more bytes per second than the round before (as
/// TCP's slow start grows its window: a 256 MiB file is only 16 GETs long, adding one at a time came too late), never
/// more than <c>maxRuns</c> (and the read-ahead window bounds the bytes). The reader's own first block still comes
/// alone in a small GET (the window starts small), so a program that reads a header and stops costs little. A store that serves one connection at full speed
/// (a local emulator, a fast link) keeps one or two GETs; one that limits each connection, or answers after a long
/// wait, gets several at once, as s3fs's fixed parallel ranges do, without paying for them where they buy nothing.
/// </summary>
internal sealed class AdaptiveRuns(int maxRuns)
{
    /// <summary>
    /// GETs a reader may have in flight before any round was measured. With one, each GET's wait for its first byte
    /// left the reader idle between GETs until the second round: at 20 ms per request, full speed came only after 5
    /// of a 256 MiB file's 16 ranges (1.88 s against rclone's 1.60 s). With two, the next range is already on its way
    /// while one streams in.
    /// </summary>
    public const int StartingRuns = 2;

    /// <summary>A round must beat the last by this factor for another GET to be added.</summary>
    private const double GrowthFactor = 1.15;

    private readonly object _gate = new();
    private int _allowed = Math.Min(StartingRuns, maxRuns);
    private int _inFlight;
    private long _roundBytes;
    private int _roundRuns;
    private long _roundStarted;
    private double _lastRate;
    private bool _settled;

    /// <summary>GETs this reader may have in flight now.</summary>
    public int Allowed
    {
        get
        {
            lock (_gate)
            {
                return _allowed;
            }
        }
    }

    /// <summary>Takes a slot for one GET: false when the reader has its allowance in flight (unless <paramref name="force"/>).</summary>
    public bool TryStart(bool force)
    {
        lock (_gate)
        {
            if (!force && _inFlight >= _allowed)
            {
                return false;
            }

            if (_inFlight == 0 && _roundRuns == 0)
            {
                _roundStarted = Stopwatch.GetTimestamp();
            }

            _inFlight++;
            return true;
        }
    }

    /// <summary>Gives back the slot of a GET that was not started after all.</summary>
    public void Cancel()
    {
        lock (_gate)
        {
            _inFlight--;
        }
    }

    /// <summary>
    /// A GET of <paramref name="bytes"/> finished (or failed: 0); after a full round, decides whether to add one. Only
    /// full-size GETs (<paramref name="fullSize"/>) are weighed: while the window still grows, each GET is larger
    /// than the last and its rate says nothing about parallelism.
    /// </summary>
    public void Finished(long bytes, bool fullSize)
    {
        lock (_gate)
        {
            _inFlight--;
            if (!fullSize && bytes > 0)
            {
                _roundBytes = 0;
                _roundRuns = 0;
                _roundStarted = Stopwatch.GetTimestamp();
                return;
            }

            _roundBytes += bytes;
            _roundRuns++;
            if (_settled || _roundRuns < _allowed)
            {
                return;
            }

            var seconds = Stopwatch.GetElapsedTime(_roundStarted).TotalSeconds;
            var rate = _roundBytes / Math.Max(seconds, 1e-6);
            if (bytes > 0 && rate > _lastRate * GrowthFactor && _allowed < maxRuns)
            {
                _allowed = Math.Min(maxRuns, _allowed * 2);
            }
            else
            {
                // Growing stopped paying (or a GET failed): keep this many for the rest of the handle's life.
                _settled = true;
            }

            _lastRate = rate;
            _roundBytes = 0;
            _roundRuns = 0;
            _roundStarted = Stopwatch.GetTimestamp();
        }
    }
}
