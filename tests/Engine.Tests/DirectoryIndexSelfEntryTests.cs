using System.Collections.Concurrent;
using BucketMount.Backends;
using BucketMount.Backends.Decorators;
using BucketMount.Backends.Memory;
using BucketMount.Engine.Namespace.Index;

namespace BucketMount.Engine.Tests;

/// <summary>
/// A directory's index also describes the directory's own marker, so the lookup of a directory after an empty-cache
/// remount (which lists below its name anyway, and sees the index there) takes the directory's mode, owner and times
/// from the index the listing then reuses, instead of a HEAD of the marker; a lagging index never shows old ones.
/// </summary>
[TestClass]
public sealed class DirectoryIndexSelfEntryTests
{
    private static readonly DateTimeOffset Written = new DateTimeOffset(2003, 4, 5, 6, 7, 8, TimeSpan.Zero).AddTicks(4242);

    public TestContext TestContext { get; set; } = null!;

    private CancellationToken Token => TestContext.CancellationTokenSource.Token;

    // The index is written a second after the last change it records, as a real mount does.
    private static EngineOptions Settled(EngineOptions options) => options with { IndexSettle = TimeSpan.FromSeconds(1.1) };

    [TestMethod]
    public async Task After_an_empty_cache_remount_a_directory_lookup_takes_its_own_attributes_from_its_index_with_no_marker_HEAD()
    {
        var store = new HeadRecordingStore(new MemoryObjectStore());
        await using var fx = new EngineFixture(store, Settled);
        await WritePrivateDirectoryAsync(fx);
        await fx.RemountAsync(keepCache: false);

        store.Heads.Clear();
        var before = store.Counters.Snapshot();
        var directory = await fx.Engine.GetAttributesAsync("/d", Token);
        var listed = await fx.Engine.ListDirectoryAsync("/d", Token);
        var requests = store.Counters.Snapshot().Since(before).Requests;

        CollectionAssert.DoesNotContain(store.Heads.ToList(), "d/", "the directory's own index describes its marker");
        Assert.AreEqual(1, requests[RequestKind.Get], "one GET of the index, shared by the lookup and the listing");
        Assert.AreEqual(0x4000 | 0x1C0, directory.Mode);
        Assert.AreEqual(1234, directory.Uid);
        Assert.AreEqual(5678, directory.Gid);
        Assert.AreEqual(Written, directory.ModifiedTime);
        Assert.HasCount(20, listed);
    }

    [TestMethod]
    public async Task A_directory_changed_after_its_index_was_last_written_shows_its_new_attributes_not_the_index()
    {
        var store = new HeadRecordingStore(new MemoryObjectStore());
        await using var fx = new EngineFixture(store, Settled);
        await WritePrivateDirectoryAsync(fx);

        // The mount dies before it writes the index again: the stored one lags the marker.
        store.RefuseIndexWrites = true;
        await Task.Delay(1100, Token);
        await fx.Engine.SetAttributesAsync("/d", new AttributeChanges { Mode = 0x4000 | 0x1E8, Uid = 99 }, Token);
        await fx.Engine.WaitForUploadsAsync(null, Token);
        await fx.RemountAsync(keepCache: false);

        var directory = await fx.Engine.GetAttributesAsync("/d", Token);
        Assert.AreEqual(0x4000 | 0x1E8, directory.Mode, "the marker's new metadata, not the index's");
        Assert.AreEqual(99, directory.Uid);
        CollectionAssert.Contains(store.Heads.ToList(), "d/", "an entry that does not describe the listed marker costs a HEAD");
    }

    /// <summary>A directory of 20 files, then given mode 0700, an owner and an old time (its marker written last).</summary>
    private async Task WritePrivateDirectoryAsync(EngineFixture fx)
    {
        await fx.Engine.CreateDirectoryAsync("/d", Token);
        for (var i = 0; i < 20; i++)
        {
            await fx.WriteFileAsync($"/d/f{i}", [(byte)i], Token);
        }

        await fx.Engine.WaitForUploadsAsync(null, Token);
        await fx.Engine.SetAttributesAsync("/d", new AttributeChanges { Mode = 0x4000 | 0x1C0, Uid = 1234, Gid = 5678, ModifiedTime = Written }, Token);
        await fx.Engine.WaitForUploadsAsync(null, Token);
        Assert.IsNotNull(await fx.Store.HeadAsync("d/" + DirectoryIndexFormat.ReservedName, Token), "the directory's index was written");
    }

    /// <summary>Records the key of every HEAD; loses every write of an index object while <see cref="RefuseIndexWrites"/> is set.</summary>
    private sealed class HeadRecordingStore(IObjectStore inner) : ObjectStoreDecorator(inner)
    {
        public ConcurrentQueue<string> Heads { get; } = new();

        public bool RefuseIndexWrites { get; set; }

        public override Task<ObjectInfo?> HeadAsync(string key, CancellationToken cancellationToken)
        {
            Heads.Enqueue(key);
            return base.HeadAsync(key, cancellationToken);
        }

        public override Task<ObjectInfo> PutAsync(string key, Stream content, PutOptions? options, CancellationToken cancellationToken) =>
            RefuseIndexWrites && key.EndsWith(DirectoryIndexFormat.ReservedName, StringComparison.Ordinal)
                ? throw new ObjectStoreException(ObjectStoreErrorKind.AccessDenied, "index writes refused for this test")
                : base.PutAsync(key, content, options, cancellationToken);
    }
}
