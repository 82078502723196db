using BucketMount.Backends;
using BucketMount.Backends.Memory;
using BucketMount.Engine.Namespace;

namespace BucketMount.Engine.Tests;

[TestClass]
public sealed class NamespaceTests
{
    public TestContext TestContext { get; set; } = null!;

    private CancellationToken Token => TestContext.CancellationTokenSource.Token;

    private async Task<MemoryObjectStore> StoreWithAsync(params string[] keys)
    {
        var store = new MemoryObjectStore();
        foreach (var key in keys)
        {
            await store.PutAsync(key, new MemoryStream(System.Text.Encoding.UTF8.GetBytes(key)), null, Token);
        }

        return store;
    }

    private static async Task<string> ShowAsync(MountEngine engine, string path) =>
        string.Join(", ", (await engine.ListDirectoryAsync(path, CancellationToken.None)).Select(n => n.IsDirectory ? n.Name + "/" : n.Name));

    [TestMethod]
    public async Task Objects_written_by_other_tools_appear_with_prefixes_as_directories()
    {
        await using var fx = new EngineFixture(await StoreWithAsync("top.txt", "photos/2024/a.jpg", "photos/2024/b.jpg", "photos/index.html", "empty/"));

        Assert.AreEqual("empty/, photos/, top.txt", await ShowAsync(fx.Engine, "/"));
        Assert.AreEqual("2024/, index.html", await ShowAsync(fx.Engine, "/photos"));
        Assert.AreEqual("", await ShowAsync(fx.Engine, "/empty"));
        Assert.AreEqual(9, (await fx.Engine.GetAttributesAsync("/photos/2024/b.jpg", Token)).Size - 8);
    }

    [TestMethod]
    public async Task A_key_that_is_both_a_file_and_a_prefix_shows_as_the_directory()
    {
        await using var fx = new EngineFixture(await StoreWithAsync("a", "a/b"));

        Assert.AreEqual("a/", await ShowAsync(fx.Engine, "/"));
        Assert.IsTrue((await fx.Engine.GetAttributesAsync("/a", Token)).IsDirectory);
        Assert.AreEqual("b", await ShowAsync(fx.Engine, "/a"));
    }

    [TestMethod]
    public async Task Keys_no_path_can_name_are_hidden()
    {
        var tooLong = new string('x', 256);
        await using var fx = new EngineFixture(await StoreWithAsync("ok", "a//b", "./dot", "../up", tooLong, "/leading"));

        Assert.AreEqual("a/, ok", await ShowAsync(fx.Engine, "/"));
        Assert.AreEqual("", await ShowAsync(fx.Engine, "/a"));
    }

    [TestMethod]
    public async Task Names_longer_than_255_bytes_are_refused_with_name_too_long()
    {
        await using var fx = new EngineFixture();

        var error = await Assert.ThrowsExactlyAsync<FileSystemException>(() => fx.Engine.OpenAsync("/" + new string('n', 256), OpenFlags.Write | OpenFlags.Create, Token));

        Assert.AreEqual(FsError.NameTooLong, error.Error);
    }

    [TestMethod]
    public async Task Mtime_mode_uid_and_gid_written_by_rclone_and_s3fs_are_read()
    {
        var store = new MemoryObjectStore();
        await store.PutAsync("rclone.txt", new MemoryStream([1]), new PutOptions { Metadata = new Dictionary<string, string> { ["mtime"] = "1700000000.5" } }, Token);
        await store.PutAsync("s3fs.txt", new MemoryStream([1]), new PutOptions
        {
            Metadata = new Dictionary<string, string> { ["mtime"] = "1600000000", ["mode"] = "33261", ["uid"] = "1000", ["gid"] = "100" },
        }, Token);
        await store.PutAsync("azure.txt", new MemoryStream([1]), new PutOptions { Metadata = new Dictionary<string, string> { ["mtime"] = "2021-03-04T05:06:07.123456700Z" } }, Token);
        await using var fx = new EngineFixture(store);

        var rclone = await fx.Engine.GetAttributesAsync("/rclone.txt", Token);
        var s3fs = await fx.Engine.GetAttributesAsync("/s3fs.txt", Token);
        var azure = await fx.Engine.GetAttributesAsync("/azure.txt", Token);

        Assert.AreEqual(DateTimeOffset.FromUnixTimeMilliseconds(1_700_000_000_500), rclone.ModifiedTime);
        Assert.AreEqual(DateTimeOffset.FromUnixTimeSeconds(1_600_000_000), s3fs.ModifiedTime);
        Assert.AreEqual((33261, 1000, 100), (s3fs.Mode, s3fs.Uid, s3fs.Gid));
        Assert.AreEqual(new DateTimeOffset(2021, 3, 4, 5, 6, 7, TimeSpan.Zero).AddTicks(1234567), azure.ModifiedTime);
    }

    [TestMethod]
    public async Task Listings_show_exact_mtimes_of_our_own_uploads_from_the_index_and_of_others_by_a_request_each()
    {
        var store = new MemoryObjectStore();
        await store.PutAsync("theirs.txt", new MemoryStream([1]), new PutOptions { Metadata = new Dictionary<string, string> { ["mtime"] = "1000000000" } }, Token);
        await using var fx = new EngineFixture(store, o => o with { IndexSettle = TimeSpan.FromSeconds(1.1), WriteMetadataIndex = false });
        await fx.WriteFileAsync("/ours.txt", [1], Token);
        var ours = new DateTimeOffset(2001, 2, 3, 4, 5, 6, TimeSpan.Zero);
        await fx.Engine.SetAttributesAsync("/ours.txt", new AttributeChanges { ModifiedTime = ours }, Token);
        await fx.Engine.WaitForUploadsAsync(null, Token);
        await fx.RemountAsync(keepCache: false);

        var before = store.Counters.Snapshot();
        var listed = (await fx.Engine.ListDirectoryAsync("/", Token)).ToDictionary(n => n.Name);
        var requests = store.Counters.Snapshot().Since(before).Requests;
        Assert.AreEqual(2, requests[RequestKind.Head] + requests[RequestKind.Get], "no index was written: one request per file");
        Assert.AreEqual(DateTimeOffset.FromUnixTimeSeconds(1_000_000_000), listed["theirs.txt"].ModifiedTime, "the time its writer stored");
        Assert.AreEqual(ours, listed["ours.txt"].ModifiedTime);
    }

    [TestMethod]
    [DataRow("plain.txt", "plain.txt")]
    [DataRow("a?b", "a\uFF1Fb")]
    [DataRow("x<y>z:w\"v|u*t\\s", "x\uFF1Cy\uFF1Ez\uFF1Aw\uFF02v\uFF5Cu\uFF0At\uFF3Cs")]
    [DataRow("trailing dot.", "trailing dot\uFF0E")]
    [DataRow("trailing space ", "trailing space\u2420")]
    [DataRow("tab\there", "tab\u2409here")]
    [DataRow("CON", "\u201B\uFF23ON")]
    [DataRow("nul.txt", "\u201B\uFF4Eul.txt")]
    [DataRow("already\uFF1F", "already\u201B\uFF1F")]
    [DataRow("quote\u201B", "quote\u201B\u201B")]
    public void Windows_names_map_reversibly_to_look_alikes(string segment, string shown)
    {
        var encoding = new NameEncoding(NamePlatform.Windows);

        Assert.AreEqual(shown, encoding.ToName(segment));
        Assert.AreEqual(segment, encoding.ToSegment(shown));
    }

    [TestMethod]
    public void Linux_names_are_keys_unchanged()
    {
        var encoding = new NameEncoding(NamePlatform.Linux);

        Assert.AreEqual("a?b:c", encoding.ToName("a?b:c"));
        Assert.AreEqual("a?b:c", encoding.ToSegment("a?b:c"));
    }

    [TestMethod]
    public void Mtime_is_written_as_rclone_writes_it_and_read_back_exactly()
    {
        var time = new DateTimeOffset(2024, 1, 2, 3, 4, 5, TimeSpan.Zero).AddTicks(1234567);

        var text = ObjectMetadata.FormatMtime(time);

        Assert.AreEqual("1704164645.123456700", text);
        Assert.AreEqual(time, ObjectMetadata.ParseMtime(text));
        Assert.IsNull(ObjectMetadata.ParseMtime("not a time"));
    }
}
