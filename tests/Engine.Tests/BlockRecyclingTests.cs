using BucketMount.Backends;
using BucketMount.Backends.Memory;
using BucketMount.Engine.Caching;
using BucketMount.Engine.Reading;

namespace BucketMount.Engine.Tests;

[TestClass]
public sealed class BlockRecyclingTests
{
    private const int BlockSize = 64 * 1024;

    public TestContext TestContext { get; set; } = null!;

    private CancellationToken Token => TestContext.CancellationTokenSource.Token;

    [TestMethod]
    public void An_evicted_full_block_is_handed_out_again_and_views_of_it_stop_copying()
    {
        var cache = new MemoryBlockCache(4L * BlockSize, BlockSize);
        var version = new ObjectVersion("k", "e", 10L * BlockSize);
        var first = Fill(cache.NewBlock(BlockSize), 1);
        var firstView = first.View();
        cache.Put(new BlockKey(version, 0), firstView);
        for (var i = 1; i <= 3; i++)
        {
            cache.Put(new BlockKey(version, i), Fill(cache.NewBlock(BlockSize), (byte)(i + 1)).View());
        }

        // The cache is full: the next block to fill is the least recently used one's array, not a new one.
        var reused = cache.NewBlock(BlockSize);

        Assert.IsNull(cache.Get(new BlockKey(version, 0)), "the oldest block was evicted");
        Assert.AreSame(first, reused);
        Assert.AreEqual(1, cache.Recycled);
        Assert.IsFalse(firstView.TryCopy(0, new byte[16]), "a view from before the eviction must not copy from a recycled block");
        Assert.IsTrue(reused.View().TryCopy(0, new byte[16]));
    }

    [TestMethod]
    public void Short_blocks_and_blocks_put_again_under_their_key_are_not_recycled()
    {
        var cache = new MemoryBlockCache(4L * BlockSize, BlockSize);
        var version = new ObjectVersion("k", "e", (4L * BlockSize) + 100);
        var tail = cache.NewBlock(100);
        var tailView = tail.View();
        cache.Put(new BlockKey(version, 4), tailView);
        var full = Fill(cache.NewBlock(BlockSize), 9);
        cache.Put(new BlockKey(version, 0), full.View());
        cache.Put(new BlockKey(version, 0), full.View());
        cache.Remove(version);

        Assert.IsTrue(tailView.TryCopy(0, new byte[100]), "a short block is never reused, so its views stay good");
        Assert.AreSame(full, cache.NewBlock(BlockSize), "dropped once by Remove, not twice by the re-put");
        Assert.AreNotSame(full, cache.NewBlock(BlockSize), "and it was on the free list only once");
    }

    [TestMethod]
    public async Task A_copy_from_a_block_recycled_under_the_reader_reads_the_block_again()
    {
        var store = new MemoryObjectStore();
        var data = new byte[8 * BlockSize];
        new Random(3).NextBytes(data);
        var stored = await store.UploadAsync("f", new MemoryUploadSource(data), null, Token);
        var version = new ObjectVersion("f", stored.ETag, data.Length);
        var memory = new MemoryBlockCache(4L * BlockSize, BlockSize);
        using var disk = new DiskBlockCache(Path.Combine(Path.GetTempPath(), "bm-recycle-" + Guid.NewGuid().ToString("N")), BlockSize, 0);
        var fetcher = new BlockFetcher(store, memory, disk, BlockSize);

        var stale = await fetcher.GetAsync(new BlockKey(version, 2), Token);
        for (var i = 3; i <= 5; i++)
        {
            await fetcher.GetAsync(new BlockKey(version, i), Token);
        }

        // The cache is full: block 2's array (the least recently used) is handed out to hold another block's bytes,
        // as it would be once a reader's copy raced the cache.
        var reused = memory.NewBlock(BlockSize);
        Assert.AreSame(stale.Block, reused);
        Array.Fill(reused.Data, (byte)0xEE);

        var destination = new byte[1000];
        await fetcher.CopyAsync(new BlockKey(version, 2), stale, 500, destination, Token);

        CollectionAssert.AreEqual(data.AsSpan((2 * BlockSize) + 500, 1000).ToArray(), destination);
    }

    [TestMethod]
    public async Task Many_readers_through_a_four_block_cache_read_the_right_bytes_and_reuse_its_blocks()
    {
        var store = new MemoryObjectStore();
        var data = new byte[32 * BlockSize];
        new Random(4).NextBytes(data);
        await store.UploadAsync("big", new MemoryUploadSource(data), null, Token);
        await using var fx = new EngineFixture(store, o => o with { BlockSize = BlockSize, ReadAheadRequestBytes = BlockSize, MemoryCacheBytes = 4L * BlockSize, DiskCacheBytes = 0 });

        await Parallel.ForAsync(0, 8, Token, async (reader, token) =>
        {
            await using var handle = await fx.Engine.OpenAsync("/big", OpenFlags.Read, token);
            var random = new Random(reader);
            var buffer = new byte[(BlockSize * 3) / 2];
            for (var i = 0; i < 40; i++)
            {
                var offset = random.NextInt64(0, data.Length - buffer.Length);
                var read = await handle.ReadAsync(offset, buffer, token);
                Assert.AreEqual(buffer.Length, read);
                Assert.IsTrue(data.AsSpan((int)offset, read).SequenceEqual(buffer), $"reader {reader}, read {i} at {offset}");
            }
        });

        Assert.IsGreaterThan(0L, fx.Engine.GetStatistics().MemoryBlocksRecycled, "evicted blocks were filled again");
    }

    [TestMethod]
    public async Task Random_reads_of_blocks_evicted_to_the_disk_cache_send_no_requests()
    {
        var store = new MemoryObjectStore();
        var data = new byte[64 * BlockSize];
        new Random(8).NextBytes(data);
        await store.UploadAsync("big", new MemoryUploadSource(data), null, Token);
        await using var fx = new EngineFixture(store, o => o with { BlockSize = BlockSize, ReadAheadRequestBytes = BlockSize, MemoryCacheBytes = 4L * BlockSize });
        CollectionAssert.AreEqual(data, await fx.ReadFileAsync("/big", Token));
        var before = store.Counters.Snapshot();

        // Most blocks are on disk only now; a random reader must neither fetch them again nor start a whole-file fetch.
        await using var handle = await fx.Engine.OpenAsync("/big", OpenFlags.Read, Token);
        var random = new Random(9);
        var buffer = new byte[4096];
        for (var i = 0; i < 200; i++)
        {
            var offset = random.NextInt64(0, data.Length - buffer.Length);
            Assert.AreEqual(buffer.Length, await handle.ReadAsync(offset, buffer, Token));
            Assert.IsTrue(data.AsSpan((int)offset, buffer.Length).SequenceEqual(buffer), $"read {i} at {offset}");
        }

        Assert.AreEqual(0, store.Counters.Snapshot().Since(before).TotalRequests, "every read came from the caches");
    }

    private static Block Fill(Block block, byte value)
    {
        Array.Fill(block.Data, value);
        return block;
    }
}
