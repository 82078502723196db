using BucketMount.Backends;
using BucketMount.Backends.Memory;
using BucketMount.Engine.Namespace;

namespace BucketMount.Engine.Tests;

/// <summary>ctime and the relatime atime policy (docs/SEMANTICS.md, Attributes): kept in metadata, never a request of their own.</summary>
[TestClass]
public sealed class FileTimesTests
{
    public TestContext TestContext { get; set; } = null!;

    private CancellationToken Token => TestContext.CancellationTokenSource.Token;

    [TestMethod]
    public async Task A_read_moves_atime_once_in_memory_and_the_next_attribute_copy_stores_it()
    {
        var store = new MemoryObjectStore();
        await using var fx = new EngineFixture(store);
        await fx.WriteFileAsync("/f", [1, 2, 3], Token);
        await fx.Engine.WaitForUploadsAsync(null, Token);
        var written = await fx.Engine.GetAttributesAsync("/f", Token);
        Assert.IsLessThan(written.ModifiedTime, written.AccessTime!.Value, "created, then written: atime is older than mtime");

        var before = store.Counters.Snapshot();
        await fx.ReadFileAsync("/f", Token);
        var read = await fx.Engine.GetAttributesAsync("/f", Token);
        Assert.IsGreaterThanOrEqualTo(read.ModifiedTime, read.AccessTime!.Value, "the first read after a change moves atime (relatime)");
        Assert.AreEqual(read.ChangeTime, written.ChangeTime, "a read is no status change");

        await fx.ReadFileAsync("/f", Token);
        Assert.AreEqual(read.AccessTime, (await fx.Engine.GetAttributesAsync("/f", Token)).AccessTime, "a second read leaves a fresh atime alone");
        var requests = store.Counters.Snapshot().Since(before);
        Assert.AreEqual(0, requests.Requests[RequestKind.Put] + requests.Requests[RequestKind.Copy] + requests.Requests[RequestKind.Head], $"reads sent only reads: {requests}");
        Assert.AreEqual(ObjectMetadata.FormatMtime(written.AccessTime.Value), (await store.HeadAsync("f", Token))!.Metadata!["atime"], "nothing stored yet");

        // A chmod's self-copy stores the moved atime and a new ctime with it.
        await fx.Engine.SetAttributesAsync("/f", new AttributeChanges { Mode = 0x8000 | 0x1A4 }, Token);
        var stored = ObjectMetadata.Parse((await store.HeadAsync("f", Token))!.Metadata, DateTimeOffset.UnixEpoch);
        Assert.AreEqual(read.AccessTime, stored.AccessTime);
        Assert.IsGreaterThan(written.ChangeTime!.Value, stored.ChangeTime!.Value, "chmod moved ctime");
        Assert.AreEqual(written.ModifiedTime, stored.ModifiedTime, "chmod left mtime");
    }

    [TestMethod]
    public async Task An_explicit_atime_is_stored_and_an_omitted_one_is_left_alone()
    {
        var store = new MemoryObjectStore();
        await using var fx = new EngineFixture(store);
        await fx.WriteFileAsync("/f", [1], Token);
        await fx.Engine.WaitForUploadsAsync(null, Token);
        var accessed = new DateTimeOffset(2001, 2, 3, 4, 5, 6, TimeSpan.Zero).AddTicks(1234567);
        var modified = new DateTimeOffset(2002, 2, 3, 4, 5, 6, TimeSpan.Zero).AddTicks(7654321);

        await fx.Engine.SetAttributesAsync("/f", new AttributeChanges { AccessTime = accessed }, Token);
        var node = await fx.Engine.GetAttributesAsync("/f", Token);
        Assert.AreEqual(accessed, node.AccessTime);
        await fx.Engine.SetAttributesAsync("/f", new AttributeChanges { ModifiedTime = modified }, Token);

        await fx.RemountAsync();
        node = await fx.Engine.GetAttributesAsync("/f", Token);
        Assert.AreEqual(accessed, node.AccessTime, "setting mtime alone left atime");
        Assert.AreEqual(modified, node.ModifiedTime);
        Assert.IsGreaterThan(modified, node.ChangeTime!.Value, "ctime is the time of the change, not the time set");
    }

    [TestMethod]
    public void Times_keep_every_nanosecond_in_metadata_and_read_back_other_formats()
    {
        var time = DateTimeOffset.FromUnixTimeSeconds(981173106).AddTicks(1234567);
        var attributes = new KnownAttributes(time, null, null, null, AccessTime: time, ModifiedTimeSubTickNs: 89, AccessTimeSubTickNs: 1);
        var metadata = ObjectMetadata.Build(attributes);
        Assert.AreEqual("981173106.123456789", metadata["mtime"]);
        Assert.AreEqual("981173106.123456701", metadata["atime"]);
        Assert.AreEqual(attributes, ObjectMetadata.Parse(metadata, DateTimeOffset.UnixEpoch));

        Assert.AreEqual(89, ObjectMetadata.ParseSubTickNanoseconds("2001-02-03T04:05:06.123456789Z"), "rclone's RFC 3339");
        Assert.AreEqual(0, ObjectMetadata.ParseSubTickNanoseconds("981173106"), "s3fs's whole seconds");
        Assert.AreEqual(0, ObjectMetadata.ParseSubTickNanoseconds("981173106.1234567"));
        Assert.AreEqual(80, ObjectMetadata.ParseSubTickNanoseconds("981173106.12345678"));
    }
}
