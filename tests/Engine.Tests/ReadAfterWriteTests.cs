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
        await using var fx = new EngineFixture(store);
        var written = await WriteTreeAsync(fx);
        await fx.Engine.WaitForUploadsAsync(null, Token);
        Assert.AreEqual(0, fx.Engine.GetStatistics().RegisteredFiles, "every uploaded file left the registry, so reads go to the cache");
        Assert.IsEmpty(Directory.GetFiles(Path.Combine(fx.CacheDirectory, "staging")), "no staging copy is left behind");

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
        await using var fx = new EngineFixture(store, o => o with { MetadataTtl = TimeSpan.Zero });
        var written = await WriteTreeAsync(fx);
        await fx.Engine.WaitForUploadsAsync(null, Token);

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
