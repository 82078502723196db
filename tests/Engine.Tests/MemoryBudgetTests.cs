using BucketMount.Engine.Caching;

namespace BucketMount.Engine.Tests;

/// <summary>
/// The memory cache's budget bounds every block array it answers for (cached, being fetched, spare), so the mount's
/// memory stays near the budget: arrays it hands out beyond the budget become garbage on the large object heap that
/// only a full collection returns.
/// </summary>
[TestClass]
public sealed class MemoryBudgetTests
{
    private const int BlockSize = 64 * 1024;

    [TestMethod]
    public void Blocks_fetched_while_the_cache_is_full_reuse_its_arrays_and_stay_within_the_budget()
    {
        const int budgetBlocks = 8;
        var cache = new MemoryBlockCache(budgetBlocks * BlockSize, BlockSize);
        var version = new ObjectVersion("big", "e", 64L * BlockSize);
        var arrays = new HashSet<byte[]>(ReferenceEqualityComparer.Instance);

        // 64 blocks through an 8-block cache, four in flight at a time as parallel read-ahead has them.
        for (var first = 0; first < 64; first += 4)
        {
            var inFlight = Enumerable.Range(first, 4).Select(i => (Key: new BlockKey(version, i), Block: cache.NewBlock(BlockSize))).ToList();
            arrays.UnionWith(inFlight.Select(f => f.Block.Data));
            Assert.IsLessThanOrEqualTo(cache.BudgetBytes, cache.HeldBytes, $"blocks {first}-{first + 3} in flight count against the budget");
            foreach (var (key, block) in inFlight)
            {
                cache.Put(key, block.View());
            }

            Assert.IsLessThanOrEqualTo(cache.BudgetBytes, cache.HeldBytes, $"after blocks {first}-{first + 3} arrived");
        }

        Assert.IsLessThanOrEqualTo(budgetBlocks, arrays.Count, "no more arrays than the budget's blocks: none was left to the garbage collector");
        Assert.IsGreaterThanOrEqualTo(4L * BlockSize, cache.Bytes, "the cache still caches");
        Assert.IsNotNull(cache.Get(new BlockKey(version, 63)), "the block read last is cached");
    }

    [TestMethod]
    public void Two_thousand_small_files_after_a_large_one_keep_what_the_cache_holds_within_its_budget()
    {
        const int smallSize = 3 * 1024;
        var cache = new MemoryBlockCache(16L * BlockSize, BlockSize);
        var big = new ObjectVersion("big", "e", 32L * BlockSize);
        for (var i = 0; i < 32; i++)
        {
            cache.Put(new BlockKey(big, i), cache.NewBlock(BlockSize).View());
        }

        for (var f = 0; f < 2000; f++)
        {
            var block = cache.NewBlock(smallSize);
            Assert.AreEqual(smallSize, block.Data.Length, "a small file's block is an array of its own length, not a whole block");
            cache.Put(new BlockKey(new ObjectVersion($"dir/f{f}", "e", smallSize), 0), block.View());
            Assert.IsLessThanOrEqualTo(cache.BudgetBytes, cache.HeldBytes, $"after small file {f}");
        }

        // What is cached is what is counted: the newest small files, each at its own length.
        var cachedSmall = Enumerable.Range(0, 2000).Count(f => cache.Contains(new BlockKey(new ObjectVersion($"dir/f{f}", "e", smallSize), 0)));
        Assert.AreEqual((long)cachedSmall * smallSize, cache.Bytes);
        Assert.IsGreaterThan(16 * BlockSize / smallSize / 2, cachedSmall, "small files fill the cache at their real size");
    }

    [TestMethod]
    public void A_block_handed_back_unfilled_no_longer_counts_and_a_cached_one_counts_once()
    {
        var cache = new MemoryBlockCache(4L * BlockSize, BlockSize);
        var version = new ObjectVersion("k", "e", 4L * BlockSize);
        var failed = cache.NewBlock(BlockSize);
        var cached = cache.NewBlock(BlockSize);
        Assert.AreEqual(2L * BlockSize, cache.HeldBytes, "two blocks on loan");

        cache.Discard(failed);
        cache.Put(new BlockKey(version, 0), cached.View());
        cache.Put(new BlockKey(version, 0), cached.View());

        Assert.AreEqual(BlockSize, cache.Bytes);
        Assert.AreEqual(2L * BlockSize, cache.HeldBytes, "one cached, one spare: nothing counted twice or left on loan");
    }
}
