using System.Diagnostics;

namespace BucketMount.Engine.Reading;

/// <summary>
/// How many read-ahead GETs of full size (<c>runBlocks</c> blocks) one sequential reader keeps in flight:
/// <see cref="StartingRuns"/> at first, twice as many each time a full round at the current number delivered clearly
/// more bytes per second than the round before (as TCP's slow start grows its window: a 256 MiB file is only 16 GETs
/// long, adding one at a time came too late), never more than <c>maxRuns</c> (and the read-ahead window bounds the
/// bytes). The allowance counts blocks, not GETs: the small GETs sent while the window still grows (1, 2, 4, 8 MiB)
/// take only their share of it, so they do not hold back the first full ranges. The reader's own first block still
/// comes alone in a small GET (the window starts small), so a program that reads a header and stops costs little.
/// </summary>
internal sealed class AdaptiveRuns(int maxRuns, int runBlocks)
{
    /// <summary>
    /// Full-size GETs a reader may have in flight before any round was measured. With one, each GET's wait for its
    /// first byte left the reader idle between GETs (at 20 ms per request, full speed came only after 5 of a 256 MiB
    /// file's 16 ranges). Two were then always doubled after the first round, which had nothing to compare with;
    /// four (the default 64 MiB window's worth of 16 MiB ranges) skips that round: the window is fetched in parallel
    /// from the start, as s3fs's ranges are, and the first round becomes the one later rounds are weighed against.
    /// </summary>
    public const int StartingRuns = 4;

    /// <summary>A round must beat the last by this factor for more GETs to be added.</summary>
    private const double GrowthFactor = 1.15;

    private readonly object _gate = new();
    private int _allowed = Math.Min(StartingRuns, maxRuns);
    private long _inFlightBlocks;
    private long _roundBytes;
    private int _roundRuns;
    private long _roundStarted;
    private double _lastRate;
    private bool _settled;

    /// <summary>Full-size GETs this reader may have in flight now.</summary>
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

    /// <summary>
    /// Takes room for one GET of <paramref name="blocks"/> blocks: false when the reader has its allowance in flight
    /// (unless <paramref name="force"/>, for the blocks the reader waits for itself).
    /// </summary>
    public bool TryStart(int blocks, bool force)
    {
        lock (_gate)
        {
            if (!force && _inFlightBlocks + blocks > (long)_allowed * runBlocks)
            {
                return false;
            }

            if (_inFlightBlocks == 0 && _roundRuns == 0)
            {
                _roundStarted = Stopwatch.GetTimestamp();
            }

            _inFlightBlocks += blocks;
            return true;
        }
    }

    /// <summary>Gives back room taken for <paramref name="blocks"/> blocks that no GET fetches after all.</summary>
    public void Cancel(int blocks)
    {
        lock (_gate)
        {
            _inFlightBlocks -= blocks;
        }
    }

    /// <summary>
    /// A GET of <paramref name="blocks"/> blocks finished, bringing <paramref name="bytes"/> (0: it failed); after a
    /// full round, decides whether to add more. Only full-size GETs (<paramref name="fullSize"/>) are weighed: while
    /// the window still grows, each GET is larger than the last and its rate says nothing about parallelism.
    /// </summary>
    public void Finished(int blocks, long bytes, bool fullSize)
    {
        lock (_gate)
        {
            _inFlightBlocks -= blocks;
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
            if (bytes > 0 && (_lastRate == 0 || rate > _lastRate * GrowthFactor) && _allowed < maxRuns)
            {
                // The first round only sets the rate later ones must beat.
                _allowed = _lastRate == 0 ? _allowed : Math.Min(maxRuns, _allowed * 2);
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
