using BucketMount.Engine.Caching;
using BucketMount.Engine.Namespace;

namespace BucketMount.Engine.Reading;

/// <summary>
/// Read-ahead across the files of a directory: when a program reads the files of one directory one after another
/// in listing order (tar, cp -r, rsync, grep -r), the next small files are fetched before it opens them, several
/// at once, so a tree of small files is read at the speed of a parallel copy instead of one request's latency per
/// file. Each prefetched file is one GET of the whole object (a file of at most one block), and that GET is also
/// what serves the program's read of it (a read waits for a fetch in flight rather than sending its own), so a
/// tree costs at most one GET per file.
/// Waste stays small for a program that reads one file and stops: nothing starts before the second file read in
/// listing order in one directory; the window then starts at <see cref="FirstWindow"/> files and doubles with each
/// further file read in order, up to <see cref="MaxWindow"/> files and <c>maxBytesAhead</c> bytes ahead of the
/// reader, with at most <see cref="MaxInFlight"/> GETs at once for the whole mount; a read out of order ends the
/// run (what is in flight finishes, nothing more starts). Only the directory's cached listing is used: prefetching
/// never lists. <paramref name="listedNames"/> gives a directory's names in listing order from that cache (null:
/// not cached); <paramref name="storedVersion"/> the version of one entry to prefetch as the cache knows it now
/// (null for anything but a file of at most one block, with data, stored and not changed locally), asked again
/// just before each GET so a snapshot of names never fetches a version that was replaced meanwhile.
/// </summary>
internal sealed class SiblingPrefetch(BlockFetcher fetcher, Func<string, IReadOnlyList<string>?> listedNames,
    Func<string, string, ObjectVersion?> storedVersion, long maxBytesAhead)
{
    /// <summary>Files fetched ahead once a second file of a directory was read in order.</summary>
    public const int FirstWindow = 4;

    public const int MaxWindow = 64;

    /// <summary>GETs of prefetched files running at once across the mount.</summary>
    public const int MaxInFlight = 16;

    /// <summary>
    /// Entries a reader may pass over between two files and still be reading in order: the ones it does not read
    /// (subdirectories it goes into, empty files, links).
    /// </summary>
    private const int MaxGap = 16;

    private const long ResnapshotMilliseconds = 1000;

    /// <summary>Directories followed at once (a tree walk keeps its parents' runs while it reads a subdirectory).</summary>
    private const int MaxDirectories = 64;

    private readonly object _gate = new();
    private readonly Dictionary<string, DirectoryRun> _runs = new(StringComparer.Ordinal);
    private readonly LinkedList<string> _recent = new();
    private readonly SemaphoreSlim _inFlight = new(MaxInFlight, MaxInFlight);

    /// <summary>GETs started ahead of a reader since the start (tests, statistics).</summary>
    public long Started => Interlocked.Read(ref _started);

    private long _started;

    /// <summary>
    /// A program began reading <paramref name="path"/> (a read at offset 0 of a file as stored): follows the run in
    /// its directory and starts GETs for the files it is expected to read next.
    /// </summary>
    public void OnFileRead(string path)
    {
        var directory = FsPath.Parent(path);
        var name = FsPath.Name(path);
        var toFetch = new List<ObjectVersion>();
        lock (_gate)
        {
            var run = RunOf(directory);
            if (!run.Positions.TryGetValue(name, out var position))
            {
                // A listing newer than the run's (files added), or no run yet: read the cached one again, but not
                // more than once a second: a program reading files as it creates them in a large directory would
                // otherwise pay a sort of the whole listing per read.
                if (Environment.TickCount64 - run.TakenAt < ResnapshotMilliseconds || listedNames(directory) is not { } entries)
                {
                    return;
                }

                run.Reset(entries);
                if (!run.Positions.TryGetValue(name, out position))
                {
                    return;
                }
            }

            if (position == run.Last)
            {
                return;
            }

            var inOrder = run.Last >= 0 && position > run.Last && (position <= run.Ahead || position - run.Last <= MaxGap);
            run.Streak = inOrder ? run.Streak + 1 : 1;
            run.Last = position;
            if (run.Streak < 2)
            {
                run.Window = 0;
                run.Ahead = position;
                return;
            }

            run.Window = run.Window == 0 ? FirstWindow : Math.Min(run.Window * 2, MaxWindow);
            run.Ahead = Math.Max(run.Ahead, position);
            Plan(directory, run, position, toFetch);
        }

        foreach (var version in toFetch)
        {
            if (fetcher.StartRun(version, 0, 1, out var finished) == 0)
            {
                // Cached or fetched by someone else meanwhile: that copy serves the read.
                _inFlight.Release();
                continue;
            }

            Interlocked.Increment(ref _started);
            _ = ReleaseWhenDoneAsync(finished);
        }
    }

    /// <summary>Moves the run's edge on until the window's files or bytes lie ahead of the reader, taking a GET slot for each file to fetch.</summary>
    private void Plan(string directory, DirectoryRun run, int position, List<ObjectVersion> toFetch)
    {
        var files = 0;
        var bytes = 0L;
        for (var i = position + 1; i <= run.Ahead; i++)
        {
            if (storedVersion(directory, run.Entries[i]) is { } ahead)
            {
                files++;
                bytes += ahead.Size;
            }
        }

        while (run.Ahead + 1 < run.Entries.Count && files < run.Window)
        {
            if (storedVersion(directory, run.Entries[run.Ahead + 1]) is { } version)
            {
                if (bytes + version.Size > maxBytesAhead)
                {
                    return;
                }

                if (!fetcher.IsCachedOrFetching(new BlockKey(version, 0)))
                {
                    if (!_inFlight.Wait(0))
                    {
                        // Every slot is busy: the next read moves on from here.
                        return;
                    }

                    toFetch.Add(version);
                }

                files++;
                bytes += version.Size;
            }

            run.Ahead++;
        }
    }

    private DirectoryRun RunOf(string directory)
    {
        if (_runs.TryGetValue(directory, out var run))
        {
            _recent.Remove(run.Node);
            _recent.AddFirst(run.Node);
            return run;
        }

        if (_runs.Count >= MaxDirectories && _recent.Last is { } oldest)
        {
            _runs.Remove(oldest.Value);
            _recent.RemoveLast();
        }

        run = new DirectoryRun(_recent.AddFirst(directory));
        _runs[directory] = run;
        return run;
    }

    private async Task ReleaseWhenDoneAsync(Task finished)
    {
        try
        {
            await finished.ConfigureAwait(false);
        }
        finally
        {
            _inFlight.Release();
        }
    }

    /// <summary>A reader's progress through one directory's listing. Guarded by the prefetcher's lock.</summary>
    private sealed class DirectoryRun(LinkedListNode<string> node)
    {
        public LinkedListNode<string> Node { get; } = node;

        public IReadOnlyList<string> Entries { get; private set; } = [];

        public Dictionary<string, int> Positions { get; } = new(StringComparer.Ordinal);

        /// <summary>Position of the file read last (-1: none yet).</summary>
        public int Last { get; set; } = -1;

        /// <summary>Files read in listing order in a row, this one included.</summary>
        public int Streak { get; set; }

        /// <summary>Files to keep fetched ahead of the reader (0: not prefetching).</summary>
        public int Window { get; set; }

        /// <summary>The last position prefetched or passed over.</summary>
        public int Ahead { get; set; } = -1;

        /// <summary>When <see cref="Entries"/> was taken (<see cref="Environment.TickCount64"/>); long ago for a new run.</summary>
        public long TakenAt { get; private set; } = long.MinValue / 2;

        public void Reset(IReadOnlyList<string> entries)
        {
            Entries = entries;
            TakenAt = Environment.TickCount64;
            Positions.Clear();
            for (var i = 0; i < entries.Count; i++)
            {
                Positions[entries[i]] = i;
            }

            Last = -1;
            Streak = 0;
            Window = 0;
            Ahead = -1;
        }
    }
}
