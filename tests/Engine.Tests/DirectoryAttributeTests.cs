using BucketMount.Backends;
using BucketMount.Backends.Local;
using BucketMount.Backends.Memory;

namespace BucketMount.Engine.Tests;

/// <summary>
/// A directory's own mode, owner and times live in its "dir/" marker's metadata (s3fs's keys), survive a remount with
/// an empty cache, show in its parent's listing, and its mtime moves when entries come and go, stored in batches.
/// </summary>
[TestClass]
public sealed class DirectoryAttributeTests
{
    private const int DirectoryBits = 0x4000;
    private static CancellationToken Token => CancellationToken.None;

    [TestMethod]
    public async Task Mkdir_with_a_mode_and_owner_is_kept_in_the_marker_and_survives_a_remount()
    {
        var store = new MemoryObjectStore();
        await using var fx = new EngineFixture(store);
        await fx.Engine.CreateDirectoryAsync("/private", new AttributeChanges { Mode = DirectoryBits | 0x1C0, Uid = 1000, Gid = 100 }, Token);

        var marker = await store.HeadAsync("private/", Token);
        Assert.AreEqual(((DirectoryBits | 0x1C0).ToString(), "1000", "100"), (marker!.Metadata!["mode"], marker.Metadata["uid"], marker.Metadata["gid"]));

        await fx.RemountAsync();
        var node = await fx.Engine.GetAttributesAsync("/private", Token);
        Assert.AreEqual((DirectoryBits | 0x1C0, 1000, 100), (node.Mode, node.Uid, node.Gid));

        await fx.RemountAsync();
        var listed = (await fx.Engine.ListDirectoryAsync("/", Token)).Single();
        Assert.AreEqual((DirectoryBits | 0x1C0, 1000, 100), (listed.Mode, listed.Uid, listed.Gid), "a listing shows the subdirectory's own attributes");
    }

    [TestMethod]
    public async Task A_listing_knows_unseen_subdirectories_attributes_from_one_parallel_head_each_and_the_local_store_from_its_listing()
    {
        var folder = Directory.CreateTempSubdirectory("bucketmount-dirattrs-").FullName;
        try
        {
            foreach (var store in new IObjectStore[] { new MemoryObjectStore(), new LocalFolderStore(folder) })
            {
                // Without the metadata index (read-only mounts, --no-metadata-index): DirectoryIndexTests covers the index.
                await using var fx = new EngineFixture(store, o => o with { WriteMetadataIndex = false });
                for (var i = 0; i < 3; i++)
                {
                    await fx.Engine.CreateDirectoryAsync($"/d{i}", new AttributeChanges { Mode = DirectoryBits | 0x1C0 + i, Uid = 1000 + i, Gid = 7 }, Token);
                }

                await fx.RemountAsync();
                var before = store.Counters.Snapshot();
                var listed = await fx.Engine.ListDirectoryAsync("/", Token);
                var heads = store.Counters.Snapshot().Since(before).Requests[RequestKind.Head];

                Assert.AreEqual("d0 448 1000, d1 449 1001, d2 450 1002", string.Join(", ", listed.Select(n => $"{n.Name} {n.Mode & 0xFFF} {n.Uid}")), store.Description);
                Assert.AreEqual(store is LocalFolderStore ? 0 : 3, heads, "the local store lists each marker with its metadata; S3 needs a HEAD per unseen one");

                before = store.Counters.Snapshot();
                await fx.Engine.ListDirectoryAsync("/", Token);
                foreach (var node in listed)
                {
                    await fx.Engine.GetAttributesAsync("/" + node.Name, Token);
                }

                Assert.AreEqual(0, store.Counters.Snapshot().Since(before).Requests[RequestKind.Head], "known now: no more HEADs");
            }
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [TestMethod]
    public async Task Chmod_chown_and_utimens_of_a_directory_are_stored_also_for_a_directory_that_was_only_a_prefix()
    {
        var store = new MemoryObjectStore();
        await store.PutAsync("made/elsewhere.txt", new MemoryStream([1]), null, Token);
        await using var fx = new EngineFixture(store);
        await fx.Engine.CreateDirectoryAsync("/ours", Token);
        var time = new DateTimeOffset(2011, 12, 13, 14, 15, 16, TimeSpan.Zero).AddTicks(1234567);

        foreach (var path in new[] { "/ours", "/made" })
        {
            await fx.Engine.SetAttributesAsync(path, new AttributeChanges { Mode = DirectoryBits | 0x1E8 }, Token);
            await fx.Engine.SetAttributesAsync(path, new AttributeChanges { Uid = 4242, Gid = 4343 }, Token);
            await fx.Engine.SetAttributesAsync(path, new AttributeChanges { ModifiedTime = time }, Token);
        }

        await fx.RemountAsync();
        foreach (var path in new[] { "/ours", "/made" })
        {
            var node = await fx.Engine.GetAttributesAsync(path, Token);
            Assert.AreEqual((DirectoryBits | 0x1E8, 4242, 4343, time), (node.Mode, node.Uid, node.Gid, node.ModifiedTime), path);
        }

        Assert.AreEqual(1, (await fx.Engine.ListDirectoryAsync("/made", Token)).Count, "the file below the former prefix is untouched");
    }

    [TestMethod]
    public async Task A_directory_mtime_moves_with_its_entries_at_once_and_is_stored_once_per_batch()
    {
        var store = new MemoryObjectStore();
        // Counts marker PUTs only: the metadata index's own batched writes are DirectoryIndexTests' subject.
        await using var fx = new EngineFixture(store, o => o with { WriteBackDelay = TimeSpan.FromHours(1), WriteMetadataIndex = false });
        var old = new DateTimeOffset(2001, 1, 1, 0, 0, 0, TimeSpan.Zero);
        await fx.Engine.CreateDirectoryAsync("/d", Token);
        await fx.Engine.CreateDirectoryAsync("/d/sub", Token);
        await fx.Engine.SetAttributesAsync("/d", new AttributeChanges { ModifiedTime = old }, Token);

        var putsBefore = store.Counters.Snapshot();
        for (var i = 0; i < 20; i++)
        {
            await fx.WriteFileAsync($"/d/f{i}", [1], Token);
        }

        var afterCreates = (await fx.Engine.GetAttributesAsync("/d", Token)).ModifiedTime;
        Assert.IsGreaterThan(old, afterCreates, "creating entries moves the directory's mtime at once");
        Assert.AreEqual(0, store.Counters.Snapshot().Since(putsBefore).Requests[RequestKind.Put], "nothing is stored per entry (files wait for write-back)");

        await fx.Engine.SetAttributesAsync("/d", new AttributeChanges { ModifiedTime = old }, Token);
        await fx.Engine.RenameAsync("/d/sub", "/moved", false, Token);
        Assert.IsGreaterThan(old, (await fx.Engine.GetAttributesAsync("/d", Token)).ModifiedTime, "a rename out of it moves it");

        await fx.Engine.SetAttributesAsync("/d", new AttributeChanges { ModifiedTime = old }, Token);
        await fx.Engine.WaitForUploadsAsync(null, Token);
        await fx.Engine.SetAttributesAsync("/d", new AttributeChanges { ModifiedTime = old }, Token);
        var beforeDelete = store.Counters.Snapshot();
        await fx.Engine.DeleteFileAsync("/d/f0", Token);
        await fx.Engine.DeleteFileAsync("/d/f1", Token);
        var afterDeletes = (await fx.Engine.GetAttributesAsync("/d", Token)).ModifiedTime;
        Assert.IsGreaterThan(old, afterDeletes, "unlink moves it");
        Assert.AreEqual(0, store.Counters.Snapshot().Since(beforeDelete).Requests[RequestKind.Put], "not stored per entry");

        await fx.Engine.WaitForUploadsAsync(null, Token);
        Assert.AreEqual(1, store.Counters.Snapshot().Since(beforeDelete).Requests[RequestKind.Put], "one marker write for the batch");
        await fx.RemountAsync();
        Assert.AreEqual(afterDeletes, (await fx.Engine.GetAttributesAsync("/d", Token)).ModifiedTime, "the batch stored the newest time");
    }

    [TestMethod]
    public async Task A_removed_directory_does_not_come_back_with_a_late_batch_of_its_time()
    {
        var store = new MemoryObjectStore();
        await using var fx = new EngineFixture(store, o => o with { WriteBackDelay = TimeSpan.FromHours(1) });
        await fx.Engine.CreateDirectoryAsync("/gone", Token);
        await fx.Engine.CreateDirectoryAsync("/gone/inner", Token);
        await fx.Engine.RemoveDirectoryAsync("/gone/inner", Token);
        await fx.Engine.RemoveDirectoryAsync("/gone", Token);

        await fx.Engine.WaitForUploadsAsync(null, Token);

        Assert.IsNull(await store.HeadAsync("gone/", Token));
        Assert.IsNull(await store.HeadAsync("gone/inner/", Token));
    }

    [TestMethod]
    public async Task A_renamed_directory_takes_its_pending_times_along_and_leaves_no_marker_behind()
    {
        var store = new MemoryObjectStore();
        await using var fx = new EngineFixture(store, o => o with { WriteBackDelay = TimeSpan.FromHours(1) });
        await fx.Engine.CreateDirectoryAsync("/a", Token);
        await fx.Engine.CreateDirectoryAsync("/a/b", Token);
        await fx.Engine.SetAttributesAsync("/a/b", new AttributeChanges { ModifiedTime = DateTimeOffset.UnixEpoch.AddDays(1) }, Token);
        await fx.Engine.CreateSymlinkAsync("/a/b/link", "target", Token);
        var touched = (await fx.Engine.GetAttributesAsync("/a/b", Token)).ModifiedTime;

        await fx.Engine.RenameAsync("/a", "/c", false, Token);
        await fx.Engine.WaitForUploadsAsync(null, Token);

        Assert.IsNull(await store.HeadAsync("a/", Token));
        Assert.IsNull(await store.HeadAsync("a/b/", Token), "the pending time of a/b/ went with the copy, not to the old key after its delete");
        await fx.RemountAsync();
        Assert.AreEqual(touched, (await fx.Engine.GetAttributesAsync("/c/b", Token)).ModifiedTime);
    }

    [TestMethod]
    public async Task Fifos_sockets_and_device_nodes_are_empty_objects_whose_mode_says_the_type()
    {
        var store = new MemoryObjectStore();
        await using var fx = new EngineFixture(store);
        await fx.Engine.CreateSpecialFileAsync("/fifo", 0x1000 | 0x1A4, 0, 1000, 100, Token);
        await fx.Engine.CreateSpecialFileAsync("/sock", 0xC000 | 0x1ED, 0, null, null, Token);
        await fx.Engine.CreateSpecialFileAsync("/char", 0x2000 | 0x180, 0x0103, 0, 0, Token);
        await fx.Engine.CreateSpecialFileAsync("/block", 0x6000 | 0x180, 0x0801, 0, 0, Token);

        var stored = await store.HeadAsync("block", Token);
        Assert.AreEqual((0L, (0x6000 | 0x180).ToString(), "2049"), (stored!.Size, stored.Metadata!["mode"], stored.Metadata["rdev"]));

        await fx.RemountAsync();
        var fifo = await fx.Engine.GetAttributesAsync("/fifo", Token);
        var sock = await fx.Engine.GetAttributesAsync("/sock", Token);
        var chr = await fx.Engine.GetAttributesAsync("/char", Token);
        var block = await fx.Engine.GetAttributesAsync("/block", Token);
        Assert.AreEqual((NodeKind.Fifo, 0x1000 | 0x1A4, 1000, (long?)null), (fifo.Kind, fifo.Mode, fifo.Uid, fifo.Rdev));
        Assert.AreEqual(NodeKind.Socket, sock.Kind);
        Assert.AreEqual((NodeKind.CharDevice, (long?)0x0103), (chr.Kind, chr.Rdev));
        Assert.AreEqual((NodeKind.BlockDevice, (long?)0x0801), (block.Kind, block.Rdev));

        var error = await Assert.ThrowsExactlyAsync<FileSystemException>(() => fx.Engine.OpenAsync("/fifo", OpenFlags.Read, Token));
        Assert.AreEqual(FsError.NotSupported, error.Error, "a FIFO's object is never read as its content");

        await fx.Engine.SetAttributesAsync("/char", new AttributeChanges { Mode = 0x2000 | 0x1B6 }, Token);
        await fx.Engine.RenameAsync("/char", "/renamed", false, Token);
        await fx.RemountAsync();
        var renamed = await fx.Engine.GetAttributesAsync("/renamed", Token);
        Assert.AreEqual((NodeKind.CharDevice, 0x2000 | 0x1B6, (long?)0x0103), (renamed.Kind, renamed.Mode, renamed.Rdev), "chmod and rename keep type and device");
        await fx.Engine.DeleteFileAsync("/renamed", Token);
        Assert.IsNull(await store.HeadAsync("renamed", Token));
    }
}
