using BucketMount.Backends;
using BucketMount.Backends.Decorators;
using BucketMount.Backends.Memory;
using BucketMount.Engine.Namespace;
using BucketMount.Engine.Namespace.Index;

namespace BucketMount.Engine.Tests;

/// <summary>
/// The per-directory metadata index: a listing of a store whose listings carry no metadata (the memory store, like
/// S3) shows stored attributes from the first look after an empty-cache remount, for one GET, and never shows an
/// entry that does not describe the listed version (another writer, a lagging index): those cost a HEAD instead.
/// </summary>
[TestClass]
public sealed class DirectoryIndexTests
{
    private static readonly DateTimeOffset Written = new DateTimeOffset(2001, 2, 3, 4, 5, 6, TimeSpan.Zero).AddTicks(1234567);

    public TestContext TestContext { get; set; } = null!;

    private CancellationToken Token => TestContext.CancellationTokenSource.Token;

    // The index is written a second after the last change it records, as a real mount does.
    private static EngineOptions Settled(EngineOptions options) => options with { IndexSettle = TimeSpan.FromSeconds(1.1) };

    [TestMethod]
    public async Task After_an_empty_cache_remount_the_first_listing_shows_modes_owners_times_and_links_for_one_GET_and_no_HEAD()
    {
        var store = new MemoryObjectStore();
        await using var fx = new EngineFixture(store, Settled);
        await fx.Engine.CreateDirectoryAsync("/d", Token);
        for (var i = 0; i < 50; i++)
        {
            await fx.WriteFileAsync($"/d/f{i}", [(byte)i], Token);
            await fx.Engine.SetAttributesAsync($"/d/f{i}", new AttributeChanges { Mode = 0x8000 | 0x1ED, Uid = 1000 + i, Gid = 2000, ModifiedTime = Written }, Token);
        }

        await fx.Engine.CreateSymlinkAsync("/d/link", "../somewhere/else", Token);
        await fx.Engine.WaitForUploadsAsync(null, Token);
        await fx.RemountAsync(keepCache: false);
        var beforeLookup = store.Counters.Snapshot();
        Assert.IsTrue((await fx.Engine.GetAttributesAsync("/d", Token)).IsDirectory);

        var before = store.Counters.Snapshot();
        var listed = (await fx.Engine.ListDirectoryAsync("/d", Token)).ToDictionary(n => n.Name);
        var requests = store.Counters.Snapshot().Since(before).Requests;
        Assert.AreEqual(0, requests[RequestKind.Head], "no HEAD: the index describes every file");
        Assert.AreEqual(1, store.Counters.Snapshot().Since(beforeLookup).Requests[RequestKind.Get], "one GET: the index (read by the lookup of /d, reused by the listing)");
        Assert.IsLessThanOrEqualTo(1, requests[RequestKind.List], "none when the lookup's LIST already held the whole directory");
        Assert.HasCount(51, listed, "the index itself is not shown");
        for (var i = 0; i < 50; i++)
        {
            var file = listed[$"f{i}"];
            Assert.AreEqual(0x8000 | 0x1ED, file.Mode);
            Assert.AreEqual(1000 + i, file.Uid);
            Assert.AreEqual(2000, file.Gid);
            Assert.AreEqual(Written, file.ModifiedTime);
        }

        Assert.AreEqual(NodeKind.Symlink, listed["link"].Kind);
        Assert.AreEqual("../somewhere/else", await fx.Engine.ReadSymlinkAsync("/d/link", Token));
        Assert.AreEqual(0, store.Counters.Snapshot().Since(before).Requests[RequestKind.Head] + store.Counters.Snapshot().Since(before).Requests[RequestKind.Get],
            "readlink is answered from the index");
    }

    [TestMethod]
    public async Task A_subdirectory_marker_asked_once_is_recorded_in_the_parent_index()
    {
        var store = new MemoryObjectStore();
        var kept = new Dictionary<string, string> { ["mode"] = (0x4000 | 0x1C0).ToString(System.Globalization.CultureInfo.InvariantCulture), ["uid"] = "1234" };
        await store.PutAsync("sub/", Stream.Null, new PutOptions { Metadata = kept }, Token);
        await store.PutAsync("file", new MemoryStream([1]), null, Token);
        await using (var fx = new EngineFixture(store, Settled))
        {
            var listed = (await fx.Engine.ListDirectoryAsync("/", Token)).ToDictionary(n => n.Name);
            Assert.AreEqual(1234, listed["sub"].Uid, "the marker's metadata, from a HEAD");
            await fx.Engine.WaitForUploadsAsync(null, Token);
        }

        await using var again = new EngineFixture(store, Settled);
        var before = store.Counters.Snapshot();
        var shown = (await again.Engine.ListDirectoryAsync("/", Token)).ToDictionary(n => n.Name);
        Assert.AreEqual(0, store.Counters.Snapshot().Since(before).Requests[RequestKind.Head], "the parent's index knows the marker");
        Assert.AreEqual(0x4000 | 0x1C0, shown["sub"].Mode);
        Assert.AreEqual(1234, shown["sub"].Uid);
    }

    [TestMethod]
    public async Task A_file_another_tool_replaced_or_chmodded_in_place_shows_its_own_metadata_and_the_repair_is_written_back()
    {
        var store = new MemoryObjectStore();
        await using (var fx = new EngineFixture(store, Settled))
        {
            await fx.WriteFileAsync("/same-bytes", [1, 2, 3], Token);
            await fx.WriteFileAsync("/new-bytes", [4, 5, 6], Token);
            await fx.WriteFileAsync("/untouched", [7], Token);
            foreach (var name in new[] { "/same-bytes", "/new-bytes", "/untouched" })
            {
                await fx.Engine.SetAttributesAsync(name, new AttributeChanges { Mode = 0x8000 | 0x1ED, ModifiedTime = Written }, Token);
            }

            await fx.Engine.WaitForUploadsAsync(null, Token);
        }

        // Later (another second, as any later write is) another tool copies one in place with new metadata (same ETag)
        // and replaces the other.
        await Task.Delay(1100, Token);
        var theirs = ObjectMetadata.Build(new KnownAttributes(DateTimeOffset.FromUnixTimeSeconds(1_500_000_000), 0x8000 | 0x180, 7, 8));
        var copied = await store.CopyAsync("same-bytes", "same-bytes", new CopyOptions { ReplaceMetadata = theirs }, Token);
        Assert.AreEqual((await store.HeadAsync("untouched", Token))!.ETag.Length, copied.ETag.Length);
        await store.PutAsync("new-bytes", new MemoryStream([9, 9]), new PutOptions { Metadata = theirs }, Token);

        await using var again = new EngineFixture(store, Settled);
        var before = store.Counters.Snapshot();
        var listed = (await again.Engine.ListDirectoryAsync("/", Token)).ToDictionary(n => n.Name);
        var requests = store.Counters.Snapshot().Since(before).Requests;
        Assert.AreEqual(2, requests[RequestKind.Head] + requests[RequestKind.Get] - 1, "one HEAD (or small GET) per changed file, besides the index's GET");
        foreach (var name in new[] { "same-bytes", "new-bytes" })
        {
            Assert.AreEqual(0x8000 | 0x180, listed[name].Mode, name);
            Assert.AreEqual(7, listed[name].Uid, name);
            Assert.AreEqual(DateTimeOffset.FromUnixTimeSeconds(1_500_000_000), listed[name].ModifiedTime, name);
        }

        Assert.AreEqual(0x8000 | 0x1ED, listed["untouched"].Mode);
        await again.Engine.WaitForUploadsAsync(null, Token);

        // The repair was written back: the next mount pays nothing again.
        await using var third = new EngineFixture(store, Settled);
        before = store.Counters.Snapshot();
        listed = (await third.Engine.ListDirectoryAsync("/", Token)).ToDictionary(n => n.Name);
        Assert.AreEqual(0, store.Counters.Snapshot().Since(before).Requests[RequestKind.Head]);
        Assert.AreEqual(0x8000 | 0x180, listed["same-bytes"].Mode);
    }

    [TestMethod]
    public async Task A_mount_that_dies_after_a_change_before_its_index_is_written_leaves_an_index_that_is_not_believed()
    {
        var store = new IndexWritesSwitch(new MemoryObjectStore());
        await using (var fx = new EngineFixture(store, Settled))
        {
            await fx.WriteFileAsync("/script", [1, 2, 3], Token);
            await fx.WriteFileAsync("/data", [4], Token);
            await fx.Engine.SetAttributesAsync("/script", new AttributeChanges { Mode = 0x8000 | 0x1A4 }, Token);
            await fx.Engine.WaitForUploadsAsync(null, Token);

            // From now on the index never reaches the store (the machine is gone before it would).
            store.RefuseIndexWrites = true;
            await Task.Delay(1100, Token);
            await fx.Engine.SetAttributesAsync("/script", new AttributeChanges { Mode = 0x8000 | 0x1ED }, Token);
            await fx.WriteFileAsync("/data", [5, 6], Token);
            await fx.Engine.SetAttributesAsync("/data", new AttributeChanges { Mode = 0x8000 | 0x180 }, Token);
            await fx.Engine.WaitForUploadsAsync(null, Token);
        }

        store.RefuseIndexWrites = false;
        await using var again = new EngineFixture(store, Settled);
        var listed = (await again.Engine.ListDirectoryAsync("/", Token)).ToDictionary(n => n.Name);
        Assert.AreEqual(0x8000 | 0x1ED, listed["script"].Mode, "chmod by copy in place keeps the ETag: the last-modified time tells");
        Assert.AreEqual(0x8000 | 0x180, listed["data"].Mode);
        Assert.AreEqual(2, listed["data"].Size);
    }

    [TestMethod]
    public async Task Two_mounts_writing_one_directory_merge_their_entries_into_its_index()
    {
        var store = new MemoryObjectStore();
        await using (var first = new EngineFixture(store, Settled))
        await using (var second = new EngineFixture(store, Settled))
        {
            await first.WriteFileAsync("/a", [1], Token);
            await first.Engine.SetAttributesAsync("/a", new AttributeChanges { Mode = 0x8000 | 0x1C0 }, Token);
            await first.Engine.WaitForUploadsAsync(null, Token);
            await second.WriteFileAsync("/b", [2], Token);
            await second.Engine.SetAttributesAsync("/b", new AttributeChanges { Mode = 0x8000 | 0x1F8 }, Token);
            await second.Engine.WaitForUploadsAsync(null, Token);
        }

        await using var third = new EngineFixture(store, Settled);
        var before = store.Counters.Snapshot();
        var listed = (await third.Engine.ListDirectoryAsync("/", Token)).ToDictionary(n => n.Name);
        Assert.AreEqual(0, store.Counters.Snapshot().Since(before).Requests[RequestKind.Head]);
        Assert.AreEqual(0x8000 | 0x1C0, listed["a"].Mode);
        Assert.AreEqual(0x8000 | 0x1F8, listed["b"].Mode);
    }

    [TestMethod]
    public void An_entry_is_believed_only_for_the_version_it_names_and_only_when_indexed_in_an_earlier_second()
    {
        var listed = new ObjectInfo("d/f", 3, "\"e1\"", DateTimeOffset.FromUnixTimeSeconds(1000).AddMilliseconds(400));
        var entry = new IndexEntry(false, "\"e1\"", 3, 1000, new Dictionary<string, string> { ["mode"] = "33261" });
        StoredIndex Index(long? written, IndexEntry e) => new("\"i\"", written, new Dictionary<string, IndexEntry> { ["f"] = e }, Foreign: false);

        Assert.IsNotNull(Index(1001, entry).ValidFor("f", listed));
        Assert.IsNull(Index(1000, entry).ValidFor("f", listed), "written in the same second: a change keeping the ETag could follow unseen");
        Assert.IsNull(Index(null, entry).ValidFor("f", listed));
        Assert.IsNull(Index(1001, entry with { ETag = "\"e2\"" }).ValidFor("f", listed));
        Assert.IsNull(Index(1001, entry with { Size = 4 }).ValidFor("f", listed));
        Assert.IsNull(Index(1001, entry with { LastModifiedSeconds = 999 }).ValidFor("f", listed));
        Assert.IsNull(Index(1001, entry with { LastModifiedSeconds = null }).ValidFor("f", listed));
        Assert.IsNull(Index(1001, entry).ValidFor("g", listed));
    }

    [TestMethod]
    public void The_index_format_round_trips_and_refuses_what_it_did_not_write()
    {
        var entries = new Dictionary<string, IndexEntry>
        {
            ["f"] = new(false, "\"e\"", 3, 1000, new Dictionary<string, string> { ["mode"] = "33261", ["ctime"] = "1.5" }, [0x2F, 0xFF]),
            ["d"] = new(true, null, null, null, new Dictionary<string, string>()),
        };
        var parsed = DirectoryIndexFormat.TryParse(DirectoryIndexFormat.Serialize(entries))!;
        Assert.AreEqual("1.5", parsed["f"].Metadata["ctime"], "fields this version does not know are kept");
        CollectionAssert.AreEqual(new byte[] { 0x2F, 0xFF }, parsed["f"].LinkTarget);
        Assert.IsTrue(parsed["d"].IsDirectory);
        Assert.IsNull(parsed["d"].ETag);
        Assert.IsNull(DirectoryIndexFormat.TryParse("{\"format\":\"other\"}"u8.ToArray()));
    }

    [TestMethod]
    public async Task The_reserved_name_is_refused_and_hidden_and_an_object_of_that_name_not_written_by_us_is_left_alone()
    {
        var store = new MemoryObjectStore();
        await store.PutAsync("d/.bucketmount-index", new MemoryStream("user data"u8.ToArray()), null, Token);
        await store.PutAsync("d/x", new MemoryStream([1]), null, Token);
        await using var fx = new EngineFixture(store, Settled);
        var error = await Assert.ThrowsExactlyAsync<FileSystemException>(() => fx.WriteFileAsync("/d/.bucketmount-index", [1], Token));
        Assert.AreEqual(FsError.InvalidName, error.Error);
        StringAssert.Contains(error.Message, "reserved");
        Assert.AreEqual("x", string.Join(",", (await fx.Engine.ListDirectoryAsync("/d", Token)).Select(n => n.Name)));
        Assert.IsNull(await fx.Engine.TryGetAttributesAsync("/d/.bucketmount-index", Token));
        await fx.WriteFileAsync("/d/y", [2], Token);
        await fx.Engine.WaitForUploadsAsync(null, Token);
        Assert.AreEqual(9, (await store.HeadAsync("d/.bucketmount-index", Token))!.Size, "not overwritten");
    }

    [TestMethod]
    public async Task A_directory_whose_index_was_written_can_be_emptied_and_removed()
    {
        var store = new MemoryObjectStore();
        await using var fx = new EngineFixture(store, Settled);
        await fx.Engine.CreateDirectoryAsync("/d", Token);
        await fx.WriteFileAsync("/d/f", [1], Token);
        await fx.Engine.WaitForUploadsAsync(null, Token);
        Assert.IsNotNull(await store.HeadAsync("d/.bucketmount-index", Token));

        await fx.Engine.DeleteFileAsync("/d/f", keepForOpenHandles: false, Token);
        await fx.Engine.RemoveDirectoryAsync("/d", Token);
        await fx.Engine.WaitForUploadsAsync(null, Token);
        await foreach (var entry in store.ListAsync("", null, Token))
        {
            // The root's own index (which described d's marker) stays: the root always exists.
            if (entry.Key != ".bucketmount-index")
            {
                Assert.Fail($"left in the store: {entry.Key}");
            }
        }
    }

    /// <summary>A store that loses every write of an index object while <see cref="RefuseIndexWrites"/> is set.</summary>
    private sealed class IndexWritesSwitch(IObjectStore inner) : ObjectStoreDecorator(inner)
    {
        public bool RefuseIndexWrites { get; set; }

        public override Task<ObjectInfo> PutAsync(string key, Stream content, PutOptions? options, CancellationToken cancellationToken) =>
            RefuseIndexWrites && key.EndsWith(DirectoryIndexFormat.ReservedName, StringComparison.Ordinal)
                ? throw new ObjectStoreException(ObjectStoreErrorKind.AccessDenied, "index writes refused for this test")
                : base.PutAsync(key, content, options, cancellationToken);
    }
}
