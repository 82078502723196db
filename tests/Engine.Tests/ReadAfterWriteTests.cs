using BucketMount.Backends;
using BucketMount.Backends.Memory;

namespace BucketMount.Engine.Tests;

/// <summary>
/// What the mount uploaded stays cached as the stored version's clean blocks: reading it back sends no request
/// until the store holds another version.
/// </summary>
[TestClass]
public sealed class ReadAfterWriteTests
{
    // In-memory staging copies (up to 128 KiB), one-block copies on disk (moved into the cache), and a
    // multi-block file (copied block by block).
    private static readonly int[] Sizes = [1, 4096, 100_000, 131_073, 300_000, 1 << 20, (5 << 20) / 2];

    public TestContext TestContext { get; set; } = null!;

    private CancellationToken Token => TestContext.CancellationTokenSource.Token;

    [TestMethod]
    public async Task Files_read_back_after_their_upload_cost_no_GET_also_after_a_remount_on_the_same_cache()
    {
        var store = new ContentReadRecorder(new MemoryObjectStore());

        // Indexes settled, as on a real mount: a file missing from its directory's index costs its stat a request
        // of its own after the remount (a small GET), which is a lookup, not a read of what was kept.
        await using var fx = new EngineFixture(store, o => o with { IndexSettle = TimeSpan.FromSeconds(1.1) });
        var written = await WriteTreeAsync(fx);
        await fx.Engine.WaitForUploadsAsync(null, Token);
        Assert.AreEqual(0, fx.Engine.GetStatistics().RegisteredFiles, "every uploaded file left the registry, so reads go to the cache");
        await WaitForStagingCopiesToGoAsync(fx);

        var before = store.Count;
        foreach (var (path, data) in written)
        {
            CollectionAssert.AreEqual(data, await fx.ReadFileAsync(path, Token), path);
        }

        Assert.IsEmpty(store.Since(before), "reading back what was just uploaded sent: " + string.Join(", ", store.Since(before)));

        // Only the disk cache is left after a restart, and nothing is pending: the kept copies are clean blocks.
        await fx.RemountAsync(keepCache: true);
        Assert.IsEmpty(fx.Engine.RecoveredPaths, "a kept copy is never taken for an upload still to do");
        before = store.Count;
        foreach (var (path, data) in written)
        {
            CollectionAssert.AreEqual(data, await fx.ReadFileAsync(path, Token), path);
        }

        Assert.IsEmpty(store.Since(before), "after a remount on the same cache: " + string.Join(", ", store.Since(before)));
    }

    [TestMethod]
    public async Task A_file_another_writer_changed_reads_their_bytes_with_one_GET_and_the_others_still_none()
    {
        var inner = new MemoryObjectStore();
        var store = new ContentReadRecorder(inner);

        // No metadata cache: every open asks the store which version is current, as after the TTL.
        await using var fx = new EngineFixture(store, o => o with { MetadataTtl = TimeSpan.Zero, IndexSettle = TimeSpan.FromSeconds(1.1) });
        var written = await WriteTreeAsync(fx);
        await fx.Engine.WaitForUploadsAsync(null, Token);
        await WaitForStagingCopiesToGoAsync(fx);

        // Same sizes, other bytes: only the ETag tells the versions apart.
        var changed = new Dictionary<string, byte[]>();
        foreach (var (path, data) in written.Where((_, i) => i % 3 == 0))
        {
            var theirs = data.Select(b => (byte)~b).ToArray();
            await inner.UploadAsync(path[1..], new MemoryUploadSource(theirs), null, Token);
            changed[path] = theirs;
        }

        var before = store.Count;
        foreach (var (path, data) in written)
        {
            CollectionAssert.AreEqual(changed.GetValueOrDefault(path) ?? data, await fx.ReadFileAsync(path, Token), path);
        }

        var reads = store.Since(before);
        CollectionAssert.AreEquivalent(changed.Keys.Select(p => p[1..]).Distinct().ToList(), reads.Distinct().ToList(),
            "only the files another writer changed are fetched: " + string.Join(", ", reads));
    }

    [TestMethod]
    public async Task Kept_copies_stay_within_the_disk_cache_budget_the_oldest_going_first()
    {
        var store = new ContentReadRecorder(new MemoryObjectStore());
        // Room for four of these one-block files: each counts its 300,000 bytes in whole 4 KiB units.
        const long budget = 4L * 303_104;
        await using var fx = new EngineFixture(store, o => o with { DiskCacheBytes = budget });
        var data = new byte[300_000];
        for (var i = 0; i < 12; i++)
        {
            data[0] = (byte)i;
            await fx.WriteFileAsync($"/f{i:D2}", data, Token);
            await fx.Engine.WaitForUploadsAsync(null, Token);
        }

        var blocks = Directory.GetFiles(Path.Combine(fx.CacheDirectory, "blocks"));
        Assert.IsLessThanOrEqualTo(budget, fx.Engine.GetStatistics().DiskCacheBytes);
        Assert.IsLessThanOrEqualTo(budget, blocks.Sum(f => new FileInfo(f).Length), "the folder holds no more than the budget");
        Assert.HasCount(4, blocks, "four of these files fit the budget");

        // The newest are kept: reading the last four sends nothing, the first one needs its GET again.
        var before = store.Count;
        for (var i = 8; i < 12; i++)
        {
            Assert.AreEqual((byte)i, (await fx.ReadFileAsync($"/f{i:D2}", Token))[0]);
        }

        Assert.IsEmpty(store.Since(before));
        Assert.AreEqual(0, (await fx.ReadFileAsync("/f00", Token))[0]);
        CollectionAssert.AreEqual(new[] { "f00" }, store.Since(before).ToList());
    }

    /// <summary>A copy of more than one block goes to the cache in the background, and its staging file goes after.</summary>
    private async Task WaitForStagingCopiesToGoAsync(EngineFixture fx)
    {
        var staging = Path.Combine(fx.CacheDirectory, "staging");
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (Directory.GetFiles(staging).Length > 0 && DateTime.UtcNow < deadline)
        {
            await Task.Delay(50, Token);
        }

        Assert.IsEmpty(Directory.GetFiles(staging), "no staging copy is left behind (within 60 s)");
    }

    private async Task<List<(string Path, byte[] Data)>> WriteTreeAsync(EngineFixture fx)
    {
        await fx.Engine.CreateDirectoryAsync("/t", Token);
        var random = new Random(21);
        var written = new List<(string, byte[])>();
        for (var i = 0; i < Sizes.Length * 3; i++)
        {
            var data = new byte[Sizes[i % Sizes.Length]];
            random.NextBytes(data);
            var path = $"/t/f{i:D2}";
            await fx.WriteFileAsync(path, data, Token);
            written.Add((path, data));
        }

        return written;
    }
}
