using BucketMount.Backends;
using BucketMount.Backends.Memory;

namespace BucketMount.Engine.Tests;

[TestClass]
public sealed class CacheBudgetTests
{
    private const int MiB = 1024 * 1024;

    public TestContext TestContext { get; set; } = null!;

    private CancellationToken Token => TestContext.CancellationTokenSource.Token;

    [TestMethod]
    public async Task Reading_four_times_the_memory_cache_keeps_it_within_its_budget()
    {
        var store = new MemoryObjectStore();
        var data = new byte[64 * MiB];
        new Random(6).NextBytes(data);
        await store.UploadAsync("big", new MemoryUploadSource(data), null, Token);
        await using var fx = new EngineFixture(store, o => o with { MemoryCacheBytes = 16L * MiB, DiskCacheBytes = 0 });

        await using var handle = await fx.Engine.OpenAsync("/big", OpenFlags.Read, Token);
        var buffer = new byte[256 * 1024];
        var peak = 0L;
        for (long offset = 0; offset < data.Length; offset += buffer.Length)
        {
            await handle.ReadAsync(offset, buffer, Token);
            peak = Math.Max(peak, fx.Engine.GetStatistics().MemoryCacheBytes);
            CollectionAssert.AreEqual(data.AsSpan((int)offset, buffer.Length).ToArray(), buffer);
        }

        Assert.IsLessThanOrEqualTo(16L * MiB, peak);
        Assert.IsGreaterThan(8L * MiB, peak, "the cache was used");
    }

    [TestMethod]
    public async Task The_disk_cache_evicts_clean_blocks_and_never_dirty_files()
    {
        var store = new MemoryObjectStore();
        for (var i = 0; i < 4; i++)
        {
            await store.UploadAsync($"clean{i}", new MemoryUploadSource(new byte[8 * MiB]), null, Token);
        }

        // Parts of 32 MiB keep the 20 MiB file a single PUT, which waits for the write-back delay (a multipart one would not).
        await using var fx = new EngineFixture(store, o => o with { DiskCacheBytes = 12L * MiB, WriteBackDelay = TimeSpan.FromMinutes(10), UploadPartSize = 32L * MiB });
        var dirty = new byte[20 * MiB];
        new Random(7).NextBytes(dirty);
        await fx.WriteFileAsync("/dirty.bin", dirty, Token);

        for (var i = 0; i < 4; i++)
        {
            await fx.ReadFileAsync($"/clean{i}", Token);
            Assert.IsLessThanOrEqualTo(12L * MiB, fx.Engine.GetStatistics().DiskCacheBytes);
        }

        Assert.AreEqual(20L * MiB, fx.Engine.GetStatistics().DirtyBytes, "the dirty file is still held, whatever the clean cache did");
        await fx.Engine.WaitForUploadsAsync(null, Token);
        using var stored = new MemoryStream();
        await store.ReadToAsync("dirty.bin", 0, null, stored, null, Token);
        CollectionAssert.AreEqual(dirty, stored.ToArray());
    }

    [TestMethod]
    public async Task Writers_get_no_space_when_dirty_data_reaches_its_limit_and_nothing_is_lost()
    {
        await using var fx = new EngineFixture(configure: o => o with { MaxDirtyBytes = 4L * MiB, WriteBackDelay = TimeSpan.FromMinutes(10) });
        await fx.WriteFileAsync("/first", new byte[3 * MiB], Token);

        await using var handle = await fx.Engine.OpenAsync("/second", OpenFlags.Write | OpenFlags.Create, Token);
        var error = await Assert.ThrowsExactlyAsync<FileSystemException>(() => handle.WriteAsync(0, new byte[2 * MiB], Token));

        Assert.AreEqual(FsError.NoSpace, error.Error);
        StringAssert.Contains(error.Message, "--max-dirty-mib 4", "the message names the mount option that raises the limit");
        await fx.Engine.WaitForUploadsAsync(null, Token);
        Assert.AreEqual(3L * MiB, (await fx.Store.HeadAsync("first", Token))?.Size);
    }

    [TestMethod]
    public async Task A_changed_remote_object_is_seen_after_the_ttl_and_old_blocks_are_never_served()
    {
        var store = new MemoryObjectStore();
        await store.PutAsync("f", new MemoryStream("old content"u8.ToArray()), null, Token);
        await using var fx = new EngineFixture(store, o => o with { MetadataTtl = TimeSpan.FromMilliseconds(300) });
        Assert.AreEqual("old content", System.Text.Encoding.UTF8.GetString(await fx.ReadFileAsync("/f", Token)));

        await store.PutAsync("f", new MemoryStream("NEW CONTENT, longer"u8.ToArray()), null, Token);
        await Task.Delay(500, Token);

        Assert.AreEqual("NEW CONTENT, longer", System.Text.Encoding.UTF8.GetString(await fx.ReadFileAsync("/f", Token)));
    }

    [TestMethod]
    public async Task A_file_changed_under_an_open_reader_fails_its_read_instead_of_mixing_versions()
    {
        var store = new MemoryObjectStore();
        await store.UploadAsync("f", new MemoryUploadSource(new byte[4 * MiB]), null, Token);
        await using var fx = new EngineFixture(store, o => o with { MaxReadAhead = 0 });
        await using var handle = await fx.Engine.OpenAsync("/f", OpenFlags.Read, Token);
        await handle.ReadAsync(0, new byte[1000], Token);

        await store.UploadAsync("f", new MemoryUploadSource(Enumerable.Repeat((byte)1, 4 * MiB).ToArray()), null, Token);
        var error = await Assert.ThrowsExactlyAsync<FileSystemException>(() => handle.ReadAsync(3 * MiB, new byte[1000], Token));

        Assert.AreEqual(FsError.IoError, error.Error);
        StringAssert.Contains(error.Message, "changed in the store");
    }
}
