using BucketMount.Backends;
using BucketMount.Backends.Decorators;
using BucketMount.Backends.Memory;

namespace BucketMount.Engine.Tests;

/// <summary>
/// The default read-ahead: bounded ranged GETs of up to 16 MiB, one in flight at first and more while throughput
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
