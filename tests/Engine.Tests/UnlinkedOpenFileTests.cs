using BucketMount.Backends;
using BucketMount.Backends.Decorators;
using BucketMount.Backends.Memory;

namespace BucketMount.Engine.Tests;

/// <summary>
/// A file unlinked (or replaced by a rename) while open lives on for its handles, as POSIX wants (tmpfile(),
/// Python's TemporaryFile, SQLite's -shm, editors' swap files): exact bytes, writes, fsync, truncate and attributes
/// through the handle, no name, nothing uploaded or recovered, and nothing left in the cache after the last close.
/// </summary>
[TestClass]
public sealed class UnlinkedOpenFileTests
{
    private const int MiB = 1024 * 1024;

    public TestContext TestContext { get; set; } = null!;

    private CancellationToken Token => TestContext.CancellationTokenSource.Token;

    [TestMethod]
    public async Task A_stored_file_unlinked_while_open_reads_back_exactly_the_bytes_it_had()
    {
        await using var fx = new EngineFixture();
        var content = Bytes(3 * MiB + 123, seed: 1);
        await fx.Store.PutAsync("big.bin", new MemoryStream(content), null, Token);
        await using var handle = await fx.Engine.OpenAsync("/big.bin", OpenFlags.Read, Token);

        await fx.Engine.DeleteFileAsync("/big.bin", Token);

        Assert.IsNull(await fx.Store.HeadAsync("big.bin", Token), "the object is deleted at once");
        Assert.IsNull(await fx.Engine.TryGetAttributesAsync("/big.bin", Token), "the name is gone at once");
        Assert.IsEmpty(await fx.Engine.ListDirectoryAsync("/", Token));
        Assert.IsTrue(handle.Unlinked);
        Assert.AreEqual(content.LongLength, handle.Attributes.Size, "fstat through the handle still works");
        CollectionAssert.AreEqual(content, await ReadAllAsync(handle, content.Length));
    }

    [TestMethod]
    public async Task Writes_fsync_and_truncate_after_unlink_stay_local_and_nothing_reaches_the_store_again()
    {
        await using var fx = new EngineFixture(configure: o => o with { WriteBackDelay = TimeSpan.FromHours(1) });
        await fx.WriteFileAsync("/scratch", Bytes(1000, seed: 2), Token);
        await fx.Engine.WaitForUploadsAsync(null, Token);
        await using var handle = await fx.Engine.OpenAsync("/scratch", OpenFlags.ReadWrite, Token);
        await handle.WriteAsync(0, "changed"u8.ToArray(), Token);

        await fx.Engine.DeleteFileAsync("/scratch", Token);
        var putsAfterUnlink = fx.Store.Counters.Requests(RequestKind.Put) + fx.Store.Counters.Requests(RequestKind.Multipart);
        await handle.WriteAsync(200 * 1024, "far"u8.ToArray(), Token);
        await handle.SyncAsync(Token);
        await handle.FlushAsync(Token);
        var grown = handle.Attributes.Size;
        await handle.TruncateAsync(5000, Token);
        var head = new byte[7];
        await handle.ReadAsync(0, head, Token);

        Assert.AreEqual(200L * 1024 + 3, grown);
        Assert.AreEqual(5000L, handle.Attributes.Size);
        Assert.AreEqual("changed", System.Text.Encoding.ASCII.GetString(head));
        Assert.IsNull(await fx.Engine.TryGetAttributesAsync("/scratch", Token), "a write after the unlink must not bring the name back");
        Assert.IsEmpty(await fx.Engine.ListDirectoryAsync("/", Token));
        Assert.IsEmpty(Directory.GetFiles(Path.Combine(fx.CacheDirectory, "staging")), "the open copy has no name in the cache directory");

        await handle.ReleaseAsync(Token);
        await fx.Engine.WaitForUploadsAsync(null, Token);
        Assert.IsNull(await fx.Store.HeadAsync("scratch", Token));
        Assert.AreEqual(putsAfterUnlink, fx.Store.Counters.Requests(RequestKind.Put) + fx.Store.Counters.Requests(RequestKind.Multipart), "nothing was uploaded after the unlink");
        Assert.AreEqual(0L, fx.Engine.GetStatistics().DirtyBytes, "the last close frees the copy");
        Assert.AreEqual(0, fx.Engine.GetStatistics().RegisteredFiles);
    }

    [TestMethod]
    public async Task A_new_file_under_the_same_name_is_a_different_file()
    {
        await using var fx = new EngineFixture();
        await using var old = await fx.Engine.OpenAsync("/same", OpenFlags.ReadWrite | OpenFlags.Create, Token);
        await old.WriteAsync(0, "old content"u8.ToArray(), Token);
        await fx.Engine.DeleteFileAsync("/same", Token);

        await fx.WriteFileAsync("/same", "new"u8.ToArray(), Token);
        await old.WriteAsync(0, "OLD"u8.ToArray(), Token);
        await fx.Engine.WaitForUploadsAsync(null, Token);

        var buffer = new byte[11];
        await old.ReadAsync(0, buffer, Token);
        Assert.AreEqual("OLD content", System.Text.Encoding.ASCII.GetString(buffer));
        Assert.AreEqual(11L, old.Attributes.Size);
        await old.ReleaseAsync(Token);
        await fx.Engine.WaitForUploadsAsync(null, Token);
        CollectionAssert.AreEqual("new"u8.ToArray(), await fx.ReadFileAsync("/same", Token));
        Assert.AreEqual(3L, (await fx.Engine.GetAttributesAsync("/same", Token)).Size);
        Assert.AreEqual(3L, (await fx.Store.HeadAsync("same", Token))!.Size, "the old handle's close removed nothing of the new file");
    }

    [TestMethod]
    public async Task A_file_replaced_by_a_rename_keeps_its_bytes_for_its_open_handles()
    {
        await using var fx = new EngineFixture();
        var original = Bytes(2 * MiB + 7, seed: 3);
        await fx.Store.PutAsync("target", new MemoryStream(original), null, Token);
        await fx.WriteFileAsync("/incoming", "replacement"u8.ToArray(), Token);
        await using var reader = await fx.Engine.OpenAsync("/target", OpenFlags.Read, Token);

        await fx.Engine.RenameAsync("/incoming", "/target", noReplace: false, Token);

        CollectionAssert.AreEqual(original, await ReadAllAsync(reader, original.Length));
        Assert.AreEqual(original.LongLength, reader.Attributes.Size);
        await reader.ReleaseAsync(Token);
        await fx.Engine.WaitForUploadsAsync(null, Token);
        CollectionAssert.AreEqual("replacement"u8.ToArray(), await fx.ReadFileAsync("/target", Token));
    }

    [TestMethod]
    public async Task An_unlinked_file_takes_attribute_changes_and_reopens_through_its_handle_only()
    {
        await using var fx = new EngineFixture();
        await using var handle = await fx.Engine.OpenAsync("/swap", OpenFlags.ReadWrite | OpenFlags.Create, Token);
        await handle.WriteAsync(0, "swap"u8.ToArray(), Token);
        await fx.Engine.DeleteFileAsync("/swap", Token);
        var time = new DateTimeOffset(2009, 2, 13, 23, 31, 30, TimeSpan.Zero);

        await handle.SetAttributesAsync(new AttributeChanges { Mode = 0x8000 | 0x180, ModifiedTime = time }, Token);
        await using var again = await handle.ReopenAsync(OpenFlags.Read, Token);
        var buffer = new byte[4];
        await again.ReadAsync(0, buffer, Token);

        Assert.AreEqual(0x180, handle.Attributes.Mode & 0xFFF);
        Assert.AreEqual(time, handle.Attributes.ModifiedTime);
        CollectionAssert.AreEqual("swap"u8.ToArray(), buffer);
        Assert.IsNull(await fx.Engine.TryGetAttributesAsync("/swap", Token), "changing attributes gives the name no file");
        await handle.ReleaseAsync(Token);
        Assert.AreEqual(4L, again.Attributes.Size, "the reopened handle keeps the file after the first one's close");
        await again.ReleaseAsync(Token);
        await fx.Engine.WaitForUploadsAsync(null, Token);
        Assert.IsNull(await fx.Store.HeadAsync("swap", Token));
        Assert.AreEqual(0L, fx.Engine.GetStatistics().DirtyBytes);
    }

    [TestMethod]
    public async Task A_delete_at_the_last_close_as_windows_does_it_fetches_nothing_for_the_closing_handle()
    {
        await using var fx = new EngineFixture();
        await fx.Store.PutAsync("large.bin", new MemoryStream(Bytes(3 * MiB, seed: 6)), null, Token);
        var handle = await fx.Engine.OpenAsync("/large.bin", OpenFlags.Read, Token);
        var gets = fx.Store.Counters.Requests(RequestKind.Get);

        await fx.Engine.DeleteFileAsync("/large.bin", keepForOpenHandles: false, Token);
        await handle.ReleaseAsync(Token);

        Assert.AreEqual(gets, fx.Store.Counters.Requests(RequestKind.Get), "nothing fetched for a handle that is closing");
        Assert.IsNull(await fx.Store.HeadAsync("large.bin", Token));
        Assert.AreEqual(0L, fx.Engine.GetStatistics().DirtyBytes);
    }

    [TestMethod]
    public async Task A_crash_after_unlinking_an_open_journaled_file_does_not_bring_it_back()
    {
        await using var fx = new EngineFixture(configure: o => o with { WriteBackDelay = TimeSpan.FromHours(1) });
        await fx.WriteFileAsync("/pending", Bytes(300 * 1024, seed: 4), Token);
        await using var handle = await fx.Engine.OpenAsync("/pending", OpenFlags.ReadWrite, Token);
        await fx.Engine.DeleteFileAsync("/pending", Token);
        await handle.WriteAsync(0, "after"u8.ToArray(), Token);
        await handle.FlushAsync(Token);

        // What a kill -9 leaves now: the cache directory as it is (a killed process's writes survive it).
        var crashed = Directory.CreateTempSubdirectory("bucketmount-unlink-crash-").FullName;
        try
        {
            foreach (var folder in new[] { "journal", "staging" })
            {
                Directory.CreateDirectory(Path.Combine(crashed, folder));
                foreach (var file in Directory.GetFiles(Path.Combine(fx.CacheDirectory, folder)))
                {
                    File.Copy(file, Path.Combine(crashed, folder, Path.GetFileName(file)));
                }
            }

            await using (var after = MountEngine.Start(fx.Store, fx.Options(crashed)))
            {
                Assert.IsEmpty(after.RecoveredPaths, "the unlinked file's journal record was replayed");
                await after.WaitForUploadsAsync(null, Token);
            }

            Assert.IsNull(await fx.Store.HeadAsync("pending", Token));
        }
        finally
        {
            Directory.Delete(crashed, recursive: true);
        }
    }

    [TestMethod]
    public async Task An_unlink_whose_bytes_cannot_be_kept_fails_and_leaves_the_file_as_it_was()
    {
        var store = new FaultInjectingObjectStore(new MemoryObjectStore(), new FaultOptions());
        await using var fx = new EngineFixture(store);
        var content = Bytes(2 * MiB, seed: 5);
        await store.PutAsync("kept", new MemoryStream(content), null, Token);
        await using var handle = await fx.Engine.OpenAsync("/kept", OpenFlags.Read, Token);

        store.FailNext(1, ObjectStoreErrorKind.Transient);
        await Assert.ThrowsExactlyAsync<FileSystemException>(() => fx.Engine.DeleteFileAsync("/kept", Token));

        Assert.IsNotNull(await store.HeadAsync("kept", Token), "the object stays when its bytes could not be kept for the open handle");
        Assert.IsFalse(handle.Unlinked);
        await fx.Engine.DeleteFileAsync("/kept", Token);
        Assert.IsNull(await store.HeadAsync("kept", Token));
        CollectionAssert.AreEqual(content, await ReadAllAsync(handle, content.Length));
    }

    private static byte[] Bytes(int length, int seed)
    {
        var bytes = new byte[length];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }

    private async Task<byte[]> ReadAllAsync(FileHandle handle, int length)
    {
        var data = new byte[length + 10];
        var total = 0;
        for (var reads = 0; reads < 1000; reads++)
        {
            var read = await handle.ReadAsync(total, data.AsMemory(total, Math.Min(MiB, data.Length - total)), Token);
            if (read == 0)
            {
                break;
            }

            total += read;
        }

        return data[..total];
    }
}
