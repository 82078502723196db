using BucketMount.Backends;
using BucketMount.Backends.Memory;
using BucketMount.Engine.Caching;

namespace BucketMount.Engine.Tests;

/// <summary>
/// The disk cache budget (--disk-cache-mib) is a hard cap on the clean data in the cache folder, whatever is read:
/// reading one object many times its size must not fill the disk with that object's blocks.
/// </summary>
[TestClass]
public sealed class DiskCacheBudgetTests
{
    private const int MiB = 1024 * 1024;

    public TestContext TestContext { get; set; } = null!;

    private CancellationToken Token => TestContext.CancellationTokenSource.Token;

    [TestMethod]
    public async Task Reading_one_file_eight_times_the_disk_budget_keeps_the_files_on_disk_within_it()
    {
        var store = new MemoryObjectStore();
        var data = new byte[32 * MiB];
        new Random(17).NextBytes(data);
        await store.UploadAsync("big", new MemoryUploadSource(data), null, Token);
        const long budget = 4L * MiB;
        await using var fx = new EngineFixture(store, o => o with { DiskCacheBytes = budget });
        var blocksFolder = Path.Combine(fx.CacheDirectory, "blocks");

        await using var handle = await fx.Engine.OpenAsync("/big", OpenFlags.Read, Token);
        var buffer = new byte[256 * 1024];
        var peakOnDisk = 0L;
        var peakCounted = 0L;
        for (long offset = 0; offset < data.Length; offset += buffer.Length)
        {
            Assert.AreEqual(buffer.Length, await handle.ReadAsync(offset, buffer, Token));
            CollectionAssert.AreEqual(data.AsSpan((int)offset, buffer.Length).ToArray(), buffer);
            peakOnDisk = Math.Max(peakOnDisk, BytesOnDisk(blocksFolder));
            peakCounted = Math.Max(peakCounted, fx.Engine.GetStatistics().DiskCacheBytes);
        }

        Assert.IsLessThanOrEqualTo(budget, peakOnDisk, "bytes in the cache folder while reading");
        Assert.IsLessThanOrEqualTo(budget, peakCounted, "bytes the cache counted while reading");
        Assert.IsGreaterThanOrEqualTo(budget / 2, BytesOnDisk(blocksFolder), "the disk cache was used");
    }

    [TestMethod]
    public async Task A_smaller_budget_at_the_next_start_shrinks_the_folder_to_it()
    {
        var store = new MemoryObjectStore();
        await store.UploadAsync("big", new MemoryUploadSource(new byte[16 * MiB]), null, Token);
        var budget = 16L * MiB;
        await using var fx = new EngineFixture(store, o => o with { DiskCacheBytes = budget });
        await fx.ReadFileAsync("/big", Token);
        var blocksFolder = Path.Combine(fx.CacheDirectory, "blocks");
        Assert.IsGreaterThan(8L * MiB, BytesOnDisk(blocksFolder), "the first run cached most of the file");

        budget = 3L * MiB;
        await fx.RemountAsync(keepCache: true);

        Assert.IsLessThanOrEqualTo(3L * MiB, BytesOnDisk(blocksFolder));
        Assert.IsLessThanOrEqualTo(3L * MiB, fx.Engine.GetStatistics().DiskCacheBytes);
    }

    /// <summary>
    /// A small file's block counts what it takes on disk, not a whole block: counted as 1 MiB each, 100 files of
    /// 2 KiB overflowed a 4 MiB budget after 4 files, and a 10 GiB cache held ~10k files of a tree.
    /// </summary>
    [TestMethod]
    public async Task Small_files_count_their_own_size_so_a_budget_holds_many_of_them()
    {
        var store = new MemoryObjectStore();
        const int files = 100;
        for (var i = 0; i < files; i++)
        {
            await store.UploadAsync($"tree/f{i:D3}", new MemoryUploadSource(new byte[2048]), null, Token);
        }

        const long budget = 4L * MiB;
        await using var fx = new EngineFixture(store, o => o with { DiskCacheBytes = budget });
        for (var i = 0; i < files; i++)
        {
            await fx.ReadFileAsync($"/tree/f{i:D3}", Token);
        }

        Assert.AreEqual(files * 4096L, fx.Engine.GetStatistics().DiskCacheBytes, "each 2 KiB block counts one 4 KiB allocation unit");
    }

    [TestMethod]
    public void Small_blocks_found_at_the_next_start_count_their_own_size_and_all_stay()
    {
        var folder = Path.Combine(Path.GetTempPath(), "bm-small-blocks-" + Guid.NewGuid().ToString("N"));
        try
        {
            var versions = Enumerable.Range(0, 100).Select(i => new ObjectVersion($"tree/f{i:D3}", $"etag{i}", 2048)).ToList();
            using (var cache = new DiskBlockCache(folder, MiB, 4L * MiB))
            {
                versions.ForEach(version => cache.Write(new BlockKey(version, 0), new byte[2048]));
                Assert.AreEqual(100 * 4096L, cache.Bytes);
            }

            using var restarted = new DiskBlockCache(folder, MiB, 4L * MiB);
            Assert.AreEqual(100 * 4096L, restarted.Bytes, "the next start counts what it finds the same way");
            Assert.IsTrue(versions.All(version => restarted.Contains(new BlockKey(version, 0))), "all 100 small blocks fit a 4 MiB budget");
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    /// <summary>What the folder's files hold, measured on disk rather than taken from the cache's own counter.</summary>
    private static long BytesOnDisk(string folder) =>
        Directory.Exists(folder) ? new DirectoryInfo(folder).EnumerateFiles("*", SearchOption.AllDirectories).Sum(f => f.Length) : 0;
}
