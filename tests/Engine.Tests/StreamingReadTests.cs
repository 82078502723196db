using BucketMount.Backends;
using BucketMount.Backends.Decorators;
using BucketMount.Backends.Memory;

namespace BucketMount.Engine.Tests;

/// <summary>Sequential readers fed by one open-ended GET: paced by the window, stopped on jumps and close, and
/// never failing a read because the stream broke.</summary>
[TestClass]
public sealed class StreamingReadTests
{
    private const int MiB = 1024 * 1024;

    public TestContext TestContext { get; set; } = null!;

    private CancellationToken Token => TestContext.CancellationTokenSource.Token;

    [TestMethod]
    public async Task A_paused_reader_holds_the_stream_at_its_window_and_close_ends_it()
    {
        var (inner, data) = await StoreWithAsync(64 * MiB);
        var store = new ChunkCountingStore(inner);
        // A 32 MiB memory cache caps the window at 8 MiB.
        await using var fx = new EngineFixture(store, o => o with { StreamSequentialReads = true, MemoryCacheBytes = 32L * MiB });

        var handle = await fx.Engine.OpenAsync("/big.bin", OpenFlags.Read, Token);
        var buffer = new byte[MiB];
        for (var i = 0; i < 4; i++)
        {
            Assert.AreEqual(MiB, await handle.ReadAsync(i * (long)MiB, buffer, Token));
            CollectionAssert.AreEqual(data.AsSpan(i * MiB, MiB).ToArray(), buffer);
        }

        // Sampled once the stream waits for the window, not after a fixed pause: on a loaded machine it may still
        // be filling the window then, and go on after the sample. Waiting means a chunk the engine has not taken,
        // seen with no progress over several polls (a wake-up already owed to it would show progress). A stream
        // that never stops at the window fails the bound below after the wait.
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        var paused = -1L;
        for (var still = 0; still < 6 && DateTime.UtcNow < deadline;)
        {
            await Task.Delay(50, Token);
            var now = store.Streamed;
            still = store.WaitingForWindow && now == paused ? still + 1 : 0;
            paused = now;
        }

        await handle.DisposeAsync();
        await Task.Delay(300, Token);
        var afterClose = store.Streamed;

        TestContext.WriteLine($"downloaded {paused / MiB} MiB while paused, {afterClose / MiB} MiB after close");
        Assert.IsLessThanOrEqualTo(4L * MiB + (8L * MiB) + MiB, paused, "the stream ran past the reader's window");
        Assert.IsLessThanOrEqualTo(paused + MiB, afterClose, "the stream kept reading after the handle closed");
    }

    [TestMethod]
    public async Task A_jump_ends_the_stream_and_reads_stay_exact()
    {
        var (inner, data) = await StoreWithAsync(64 * MiB);
        var store = new ChunkCountingStore(inner);
        await using var fx = new EngineFixture(store, o => o with { StreamSequentialReads = true, MemoryCacheBytes = 32L * MiB });

        await using (var handle = await fx.Engine.OpenAsync("/big.bin", OpenFlags.Read, Token))
        {
            foreach (var start in new long[] { 0, 40 * MiB })
            {
                for (var offset = start; offset < start + (8 * MiB); offset += 128 * 1024)
                {
                    var buffer = new byte[128 * 1024];
                    Assert.AreEqual(buffer.Length, await handle.ReadAsync(offset, buffer, Token));
                    CollectionAssert.AreEqual(data.AsSpan((int)offset, buffer.Length).ToArray(), buffer, $"at {offset}");
                }
            }
        }

        await Task.Delay(300, Token);
        TestContext.WriteLine($"{store.Gets} GETs, {store.Streamed / MiB} MiB streamed");
        Assert.IsLessThan(40L * MiB, store.Streamed, "the first stream went on reading after the jump");
        Assert.IsLessThanOrEqualTo(6, store.Gets, "two streams and their first blocks");
    }

    [TestMethod]
    public async Task Reads_arriving_slightly_out_of_order_keep_one_stream()
    {
        // The kernel sends a sequential reader's read-ahead as concurrent 128 KiB reads that may arrive swapped.
        var (inner, data) = await StoreWithAsync(32 * MiB);
        var store = new ChunkCountingStore(inner);
        await using var fx = new EngineFixture(store, o => o with { StreamSequentialReads = true, MemoryCacheBytes = 32L * MiB });
        const int Chunk = 128 * 1024;

        await using (var handle = await fx.Engine.OpenAsync("/big.bin", OpenFlags.Read, Token))
        {
            for (var pair = 0; pair < data.Length / (2 * Chunk); pair++)
            {
                foreach (var offset in new long[] { ((2 * pair) + 1) * (long)Chunk, 2 * pair * (long)Chunk })
                {
                    var buffer = new byte[Chunk];
                    Assert.AreEqual(Chunk, await handle.ReadAsync(offset, buffer, Token));
                    CollectionAssert.AreEqual(data.AsSpan((int)offset, Chunk).ToArray(), buffer, $"at {offset}");
                }
            }
        }

        TestContext.WriteLine($"{store.Gets} GETs, {store.Streamed / MiB} MiB streamed");
        Assert.IsLessThanOrEqualTo(3, store.Gets, "swapped reads were taken for jumps");
    }

    [TestMethod]
    [DataRow(32 * MiB, 7, DisplayName = "within the limit: fetched whole by two ranged streams after four misses")]
    [DataRow(0, 20, DisplayName = "limit 0: one GET per block (32 blocks)")]
    public async Task Random_reads_of_a_small_enough_file_fetch_it_whole(long wholeFileBytes, int expectedGetsBound)
    {
        var (inner, data) = await StoreWithAsync(32 * MiB);
        var store = new ChunkCountingStore(inner);
        await using var fx = new EngineFixture(store, o => o with { StreamSequentialReads = true, MemoryCacheBytes = 64L * MiB, WholeFileReadBytes = wholeFileBytes });
        var random = new Random(11);

        await using (var handle = await fx.Engine.OpenAsync("/big.bin", OpenFlags.Read, Token))
        {
            for (var i = 0; i < 300; i++)
            {
                var offset = random.NextInt64(0, data.Length - 4096) & ~4095L;
                var buffer = new byte[4096];
                Assert.AreEqual(buffer.Length, await handle.ReadAsync(offset, buffer, Token));
                CollectionAssert.AreEqual(data.AsSpan((int)offset, buffer.Length).ToArray(), buffer, $"at {offset}");
            }
        }

        TestContext.WriteLine($"{store.Gets} GETs, {store.Streamed / MiB} MiB streamed");
        if (wholeFileBytes > 0)
        {
            Assert.IsLessThanOrEqualTo(expectedGetsBound, store.Gets, "four misses, then a stream per 16 MiB range for the rest");
        }
        else
        {
            Assert.IsGreaterThan(expectedGetsBound, store.Gets, "without the whole-file stream each missed block is a GET");
        }
    }

    [TestMethod]
    public async Task A_whole_file_stream_that_breaks_leaves_every_random_read_exact()
    {
        var (inner, data) = await StoreWithAsync(16 * MiB);
        var store = new BreakingStreamStore(inner, breakAfterBytes: 3 * MiB + 777);
        await using var fx = new EngineFixture(store, o => o with { StreamSequentialReads = true, MemoryCacheBytes = 64L * MiB });
        var random = new Random(12);

        await using var handle = await fx.Engine.OpenAsync("/big.bin", OpenFlags.Read, Token);
        for (var i = 0; i < 200; i++)
        {
            var offset = random.NextInt64(0, data.Length - 4096);
            var buffer = new byte[4096];
            Assert.AreEqual(buffer.Length, await handle.ReadAsync(offset, buffer, Token));
            CollectionAssert.AreEqual(data.AsSpan((int)offset, buffer.Length).ToArray(), buffer, $"at {offset}");
        }

        Assert.IsGreaterThanOrEqualTo(1, store.Broken, "the test did not break the stream");
    }

    [TestMethod]
    public async Task A_stream_that_breaks_midway_still_delivers_every_byte()
    {
        var (inner, data) = await StoreWithAsync(32 * MiB);
        var store = new BreakingStreamStore(inner, breakAfterBytes: 5 * MiB + 12345);
        await using var fx = new EngineFixture(store, o => o with { StreamSequentialReads = true, MemoryCacheBytes = 32L * MiB });

        var back = await fx.ReadFileAsync("/big.bin", Token);

        CollectionAssert.AreEqual(data, back);
        Assert.IsGreaterThanOrEqualTo(1, store.Broken, "the test did not break a stream");
    }

    private async Task<(MemoryObjectStore Store, byte[] Data)> StoreWithAsync(int size)
    {
        var store = new MemoryObjectStore();
        var data = new byte[size];
        new Random(size).NextBytes(data);
        await store.UploadAsync("big.bin", new MemoryUploadSource(data), null, Token);
        return (store, data);
    }

    /// <summary>
    /// Hands open-ended GETs' bytes to the engine 64 KiB at a time and counts what it accepted, as a socket would:
    /// the memory store otherwise writes a whole object in one call and counts it only at the end.
    /// </summary>
    private sealed class ChunkCountingStore(IObjectStore inner) : ObjectStoreDecorator(inner)
    {
        private long _streamed;
        private int _gets;
        private int _waiting;

        public long Streamed => Interlocked.Read(ref _streamed);

        /// <summary>GETs the engine sent (the inner store's own counters also count this test's chunking).</summary>
        public int Gets => Volatile.Read(ref _gets);

        /// <summary>True while the engine has not taken a chunk at once: a stream waiting for the reader's window.</summary>
        public bool WaitingForWindow => Volatile.Read(ref _waiting) == 1;

        public override Task<int> ReadAsync(string key, long offset, Memory<byte> buffer, ReadOptions? options, CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref _gets);
            return Inner.ReadAsync(key, offset, buffer, options, cancellationToken);
        }

        public override async Task<long> ReadToAsync(string key, long offset, long? length, Stream destination, ReadOptions? options, CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref _gets);
            var size = (await Inner.HeadAsync(key, cancellationToken))!.Size;
            var end = length is { } l ? Math.Min(size, offset + l) : size;
            var chunk = new byte[64 * 1024];
            for (var at = offset; at < end; at += chunk.Length)
            {
                var n = (int)Math.Min(chunk.Length, end - at);
                await Inner.ReadAsync(key, at, chunk.AsMemory(0, n), options, cancellationToken);
                var write = destination.WriteAsync(chunk.AsMemory(0, n), cancellationToken);
                if (!write.IsCompleted)
                {
                    Volatile.Write(ref _waiting, 1);
                }

                try
                {
                    await write;
                }
                finally
                {
                    Volatile.Write(ref _waiting, 0);
                }

                Interlocked.Add(ref _streamed, n);
            }

            return end - offset;
        }
    }

    /// <summary>
    /// The first two GETs longer than <c>breakAfterBytes</c> (open-ended streams, whole-file ranges) fail with a
    /// connection error after that many bytes, as a dropped connection does.
    /// </summary>
    private sealed class BreakingStreamStore(IObjectStore inner, long breakAfterBytes) : ObjectStoreDecorator(inner)
    {
        private int _broken;

        public int Broken => _broken;

        public override async Task<long> ReadToAsync(string key, long offset, long? length, Stream destination, ReadOptions? options, CancellationToken cancellationToken)
        {
            if (length <= breakAfterBytes || Interlocked.Increment(ref _broken) > 2)
            {
                return await Inner.ReadToAsync(key, offset, length, destination, options, cancellationToken);
            }

            var data = new byte[breakAfterBytes];
            var read = await Inner.ReadAsync(key, offset, data, options, cancellationToken);
            await destination.WriteAsync(data.AsMemory(0, read), cancellationToken);
            throw new ObjectStoreException(ObjectStoreErrorKind.Transient, "connection reset by the test", null, key);
        }
    }
}
