using BucketMount.Backends;
using BucketMount.Backends.Decorators;
using BucketMount.Backends.Memory;
using BucketMount.Engine.Reading;

namespace BucketMount.Engine.Tests;

/// <summary>
/// The default read-ahead: bounded ranged GETs of up to 16 MiB, four in flight at first and more while throughput
/// grows (s3fs sends its ranges in parallel; one open-ended stream was slower from a slow store).
/// </summary>
[TestClass]
public sealed class ParallelReadAheadTests
{
    private const int MiB = 1024 * 1024;
    private const long RangeBytes = 16L * MiB;

    public TestContext TestContext { get; set; } = null!;

    private CancellationToken Token => TestContext.CancellationTokenSource.Token;

    [TestMethod]
    public async Task A_cold_sequential_read_with_no_option_set_uses_bounded_ranges_within_twice_the_16_MiB_count()
    {
        var inner = new MemoryObjectStore();
        var data = new byte[96 * MiB];
        new Random(21).NextBytes(data);
        await inner.UploadAsync("big.bin", new MemoryUploadSource(data), null, Token);
        var store = new RangeRecordingStore(inner);
        // The shipped defaults for everything that shapes read-ahead (the fixture's own memory cache is smaller).
        var defaults = new EngineOptions { CacheDirectory = "/unused" };
        await using var fx = new EngineFixture(store, o => o with { MemoryCacheBytes = defaults.MemoryCacheBytes, DiskCacheBytes = 256L * MiB });

        var back = await fx.ReadFileAsync("/big.bin", Token);

        CollectionAssert.AreEqual(data, back);
        var ranges = await store.SettledRangesAsync(data.Length, Token);
        var expected = (data.Length + RangeBytes - 1) / RangeBytes;
        TestContext.WriteLine($"{ranges.Count} GETs, at most {store.MostInFlight} at once: " + string.Join(" ", ranges.Select(r => $"{r.Offset / MiB}+{r.Length / MiB}")));
        Assert.IsTrue(ranges.All(r => r.Length is > 0 and <= RangeBytes), "every GET is a bounded range of at most 16 MiB, none open-ended");
        Assert.AreEqual(data.Length, ranges.Sum(r => r.Length), "every byte downloaded exactly once");
        Assert.IsLessThanOrEqualTo(2 * expected, ranges.Count, $"{ranges.Count} GETs for {expected} ranges of 16 MiB");
    }

    [TestMethod]
    public async Task The_first_16_MiB_range_of_a_cold_read_has_the_next_one_on_its_way_beside_it()
    {
        // With one GET in flight at first, the reader sat idle while each range waited for its first byte, until a
        // whole round had been measured (at 20 ms per request: full speed only after 5 of 16 ranges).
        var inner = new MemoryObjectStore();
        var data = new byte[64 * MiB];
        new Random(22).NextBytes(data);
        await inner.UploadAsync("big.bin", new MemoryUploadSource(data), null, Token);
        var store = new FirstRangeHeldStore(inner, RangeBytes);
        var defaults = new EngineOptions { CacheDirectory = "/unused" };
        await using var fx = new EngineFixture(store, o => o with { MemoryCacheBytes = defaults.MemoryCacheBytes, DiskCacheBytes = 256L * MiB });

        var back = await fx.ReadFileAsync("/big.bin", Token);

        CollectionAssert.AreEqual(data, back);
        Assert.IsGreaterThanOrEqualTo(2, store.FullRangesAskedWhileFirstHeld, "a second 16 MiB range is asked for while the first is still on its way");
    }

    [TestMethod]
    public async Task A_cold_read_has_three_16_MiB_ranges_in_flight_before_the_first_is_answered()
    {
        // Two at first (and the small GETs of the growing window holding both places) left the 64 MiB window half
        // fetched while the first range waited for its first byte; the window's worth goes out at once now.
        var inner = new MemoryObjectStore();
        var data = new byte[96 * MiB];
        new Random(23).NextBytes(data);
        await inner.UploadAsync("big.bin", new MemoryUploadSource(data), null, Token);
        var store = new FullRangesHeldStore(inner, RangeBytes, heldAtOnce: 3);
        var defaults = new EngineOptions { CacheDirectory = "/unused" };
        await using var fx = new EngineFixture(store, o => o with { MemoryCacheBytes = defaults.MemoryCacheBytes, DiskCacheBytes = 256L * MiB });

        var back = await fx.ReadFileAsync("/big.bin", Token);

        CollectionAssert.AreEqual(data, back);
        Assert.IsGreaterThanOrEqualTo(3, store.MostHeldAtOnce, "three 16 MiB ranges are asked for before the store answers any of them");
    }

    [TestMethod]
    public void The_small_GETs_of_a_growing_window_take_only_their_share_of_the_allowance()
    {
        var runs = new AdaptiveRuns(maxRuns: 8, runBlocks: 16);

        // A cold read's first GETs while its window doubles: the block read, then 1, 2, 4 and 8 blocks ahead.
        foreach (var blocks in new[] { 1, 1, 2, 4, 8 })
        {
            Assert.IsTrue(runs.TryStart(blocks, force: false), $"a GET of {blocks} block(s) while the window grows");
        }

        var full = 0;
        while (full < 10 && runs.TryStart(16, force: false))
        {
            full++;
        }

        // 16 blocks in small GETs are one full GET's worth of the four allowed.
        Assert.AreEqual(AdaptiveRuns.StartingRuns - 1, full, "full 16-block GETs that start beside the small ones");
        runs.Finished(8, 8L * MiB, fullSize: false);
        Assert.IsFalse(runs.TryStart(16, force: false), "8 blocks given back are not room for 16");
        runs.Finished(4, 4L * MiB, fullSize: false);
        runs.Finished(4, 0, fullSize: false);
        Assert.IsTrue(runs.TryStart(16, force: false), "16 blocks given back are room for one more full GET");
    }

    /// <summary>Records each GET's range (an open-ended one as its length to the end) and how many ran at once.</summary>
    private sealed class RangeRecordingStore(IObjectStore inner) : ObjectStoreDecorator(inner)
    {
        private readonly List<(long Offset, long Length)> _ranges = [];
        private int _inFlight;
        private int _mostInFlight;

        public int MostInFlight => Volatile.Read(ref _mostInFlight);

        /// <summary>The GETs so far, once the bytes they brought stop growing (read-ahead may still be landing); bounded.</summary>
        public async Task<List<(long Offset, long Length)>> SettledRangesAsync(long atLeastBytes, CancellationToken cancellationToken)
        {
            var last = -1L;
            var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
            while (DateTime.UtcNow < deadline)
            {
                List<(long Offset, long Length)> now;
                lock (_ranges)
                {
                    now = [.. _ranges];
                }

                var bytes = now.Sum(r => r.Length);
                if (bytes == last && bytes >= atLeastBytes && Volatile.Read(ref _inFlight) == 0)
                {
                    return now;
                }

                last = bytes;
                await Task.Delay(100, cancellationToken);
            }

            lock (_ranges)
            {
                return [.. _ranges];
            }
        }

        public override async Task<int> ReadAsync(string key, long offset, Memory<byte> buffer, ReadOptions? options, CancellationToken cancellationToken)
        {
            Record(offset, buffer.Length);
            try
            {
                return await Inner.ReadAsync(key, offset, buffer, options, cancellationToken);
            }
            finally
            {
                Interlocked.Decrement(ref _inFlight);
            }
        }

        public override async Task<long> ReadToAsync(string key, long offset, long? length, Stream destination, ReadOptions? options, CancellationToken cancellationToken)
        {
            var size = (await Inner.HeadAsync(key, cancellationToken))!.Size;
            Record(offset, length ?? size - offset);
            try
            {
                return await Inner.ReadToAsync(key, offset, length, destination, options, cancellationToken);
            }
            finally
            {
                Interlocked.Decrement(ref _inFlight);
            }
        }

        private void Record(long offset, long length)
        {
            lock (_ranges)
            {
                _ranges.Add((offset, length));
            }

            var now = Interlocked.Increment(ref _inFlight);
            int seen;
            while ((seen = Volatile.Read(ref _mostInFlight)) < now && Interlocked.CompareExchange(ref _mostInFlight, now, seen) != seen)
            {
            }
        }
    }

    /// <summary>
    /// Holds every GET of a full range until <paramref name="heldAtOnce"/> are held together (bounded: 30 s, reached only when they never are), and
    /// records the most held at once.
    /// </summary>
    private sealed class FullRangesHeldStore(IObjectStore inner, long rangeBytes, int heldAtOnce) : ObjectStoreDecorator(inner)
    {
        private readonly TaskCompletionSource _enough = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private int _held;
        private int _mostHeld;

        public int MostHeldAtOnce => Volatile.Read(ref _mostHeld);

        public override async Task<long> ReadToAsync(string key, long offset, long? length, Stream destination, ReadOptions? options, CancellationToken cancellationToken)
        {
            if (length == rangeBytes && !_enough.Task.IsCompleted)
            {
                var now = Interlocked.Increment(ref _held);
                int seen;
                while ((seen = Volatile.Read(ref _mostHeld)) < now && Interlocked.CompareExchange(ref _mostHeld, now, seen) != seen)
                {
                }

                if (now >= heldAtOnce)
                {
                    _enough.TrySetResult();
                }

                await Task.WhenAny(_enough.Task, Task.Delay(TimeSpan.FromSeconds(30), cancellationToken));
                Interlocked.Decrement(ref _held);
            }

            return await Inner.ReadToAsync(key, offset, length, destination, options, cancellationToken);
        }
    }

    /// <summary>
    /// Holds the first GET of a full range until a second full range is asked for (bounded: 30 s, reached only when it never is), and records how many
    /// full ranges had been asked for when it let the first go.
    /// </summary>
    private sealed class FirstRangeHeldStore(IObjectStore inner, long rangeBytes) : ObjectStoreDecorator(inner)
    {
        private readonly TaskCompletionSource _second = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private int _fullRanges;

        public int FullRangesAskedWhileFirstHeld { get; private set; }

        public override async Task<long> ReadToAsync(string key, long offset, long? length, Stream destination, ReadOptions? options, CancellationToken cancellationToken)
        {
            if (length == rangeBytes)
            {
                var nth = Interlocked.Increment(ref _fullRanges);
                if (nth == 1)
                {
                    await Task.WhenAny(_second.Task, Task.Delay(TimeSpan.FromSeconds(30), cancellationToken));
                    FullRangesAskedWhileFirstHeld = Volatile.Read(ref _fullRanges);
                }
                else
                {
                    _second.TrySetResult();
                }
            }

            return await Inner.ReadToAsync(key, offset, length, destination, options, cancellationToken);
        }
    }
}
