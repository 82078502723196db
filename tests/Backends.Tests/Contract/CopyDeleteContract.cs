namespace BucketMount.Backends.Tests.Contract;

public abstract partial class ObjectStoreContractTests
{
    [TestMethod]
    public async Task Copy_keeps_bytes_and_metadata_by_default()
    {
        await using var store = await CreateStoreAsync(Token);
        var data = RandomBytes(20_000, 12);
        await PutBytesAsync(store, "src/a.bin", data, new PutOptions { Metadata = new Dictionary<string, string> { ["mtime"] = "123" } }, Token);

        var copy = await store.CopyAsync("src/a.bin", "dst/b.bin", null, Token);

        Assert.AreEqual(data.Length, copy.Size);
        CollectionAssert.AreEqual(data, await ReadAllAsync(store, "dst/b.bin", Token));
        Assert.AreEqual("123", (await store.HeadAsync("dst/b.bin", Token))!.Metadata!.GetValueOrDefault("mtime"));
        Assert.IsNotNull(await store.HeadAsync("src/a.bin", Token), "the source stays");
    }

    [TestMethod]
    public async Task A_copy_told_the_source_size_keeps_bytes_and_metadata()
    {
        await using var store = await CreateStoreAsync(Token);
        var data = RandomBytes(3000, 21);
        await PutBytesAsync(store, "sized/src", data, new PutOptions { Metadata = new Dictionary<string, string> { ["mtime"] = "456" } }, Token);

        var copy = await store.CopyAsync("sized/src", "sized/dst", new CopyOptions { SourceSize = data.Length }, Token);

        Assert.AreEqual(data.Length, copy.Size);
        Assert.IsFalse(string.IsNullOrEmpty(copy.ETag));
        CollectionAssert.AreEqual(data, await ReadAllAsync(store, "sized/dst", Token));
        Assert.AreEqual("456", (await store.HeadAsync("sized/dst", Token))!.Metadata!.GetValueOrDefault("mtime"));
    }

    [TestMethod]
    public async Task Copy_with_replaced_metadata_stores_exactly_the_new_metadata()
    {
        await using var store = await CreateStoreAsync(Token);
        await PutBytesAsync(store, "m1", Utf8("bytes"), new PutOptions { Metadata = new Dictionary<string, string> { ["mtime"] = "1", ["old"] = "gone" } }, Token);

        await store.CopyAsync("m1", "m2", new CopyOptions { ReplaceMetadata = new Dictionary<string, string> { ["mtime"] = "2" } }, Token);
        var head = await store.HeadAsync("m2", Token);

        Assert.AreEqual("2", head!.Metadata!.GetValueOrDefault("mtime"));
        Assert.IsFalse(head.Metadata!.ContainsKey("old"));
        Assert.AreEqual("bytes", System.Text.Encoding.UTF8.GetString(await ReadAllAsync(store, "m2", Token)));
    }

    [TestMethod]
    public async Task A_copy_with_replaced_metadata_keeps_the_sources_content_type()
    {
        // What a chmod or rename through a mount sends: the object's type, set by another tool, must stay.
        await using var store = await CreateStoreAsync(Token);
        await PutBytesAsync(store, "page.html", Utf8("<p>"), new PutOptions { ContentType = "text/html", Metadata = new Dictionary<string, string> { ["mode"] = "1" } }, Token);
        var replaced = new CopyOptions { ReplaceMetadata = new Dictionary<string, string> { ["mode"] = "2" } };

        await store.CopyAsync("page.html", "moved.html", replaced, Token);
        await store.CopyAsync("page.html", "page.html", replaced, Token);

        foreach (var key in new[] { "moved.html", "page.html" })
        {
            var head = await store.HeadAsync(key, Token);
            Assert.AreEqual("2", head!.Metadata!.GetValueOrDefault("mode"), key);
            StringAssert.StartsWith(head.ContentType, "text/html", key);
        }
    }

    [TestMethod]
    public async Task Copy_onto_itself_with_new_metadata_updates_metadata_in_place()
    {
        await using var store = await CreateStoreAsync(Token);
        await PutBytesAsync(store, "self", Utf8("same bytes"), new PutOptions { Metadata = new Dictionary<string, string> { ["mtime"] = "1" } }, Token);

        await store.CopyAsync("self", "self", new CopyOptions { ReplaceMetadata = new Dictionary<string, string> { ["mtime"] = "99" } }, Token);

        Assert.AreEqual("99", (await store.HeadAsync("self", Token))!.Metadata!.GetValueOrDefault("mtime"));
        Assert.AreEqual("same bytes", System.Text.Encoding.UTF8.GetString(await ReadAllAsync(store, "self", Token)));
    }

    [TestMethod]
    public async Task Copy_of_a_missing_source_is_not_found()
    {
        await using var store = await CreateStoreAsync(Token);

        var error = await Assert.ThrowsExactlyAsync<ObjectStoreException>(() => store.CopyAsync("missing", "dest", null, Token));

        Assert.AreEqual(ObjectStoreErrorKind.NotFound, error.Kind);
        Assert.IsNull(await store.HeadAsync("dest", Token));
    }

    [TestMethod]
    public async Task Delete_of_a_missing_key_succeeds()
    {
        await using var store = await CreateStoreAsync(Token);

        await store.DeleteAsync("never/existed", Token);

        Assert.IsNull(await store.HeadAsync("never/existed", Token));
    }

    [TestMethod]
    public async Task Delete_removes_only_the_key_and_keeps_its_neighbours()
    {
        await using var store = await CreateStoreAsync(Token);
        await PutBytesAsync(store, "d/1", Utf8("1"), cancellationToken: Token);
        await PutBytesAsync(store, "d/2", Utf8("2"), cancellationToken: Token);

        await store.DeleteAsync("d/1", Token);

        Assert.IsNull(await store.HeadAsync("d/1", Token));
        Assert.IsNotNull(await store.HeadAsync("d/2", Token));
        CollectionAssert.AreEqual(new[] { "d/2" }, (await ListAllAsync(store, "d/", "/", Token)).Select(e => e.Key).ToArray());
    }

    [TestMethod]
    public async Task Delete_many_removes_every_key_including_missing_ones()
    {
        await using var store = await CreateStoreAsync(Token);
        var keys = Enumerable.Range(0, 30).Select(i => $"batch/{i:D2}").ToList();
        foreach (var key in keys)
        {
            await PutBytesAsync(store, key, Utf8(key), cancellationToken: Token);
        }

        await PutBytesAsync(store, "batch-survivor", Utf8("s"), cancellationToken: Token);

        var failures = await store.DeleteManyAsync([.. keys, "batch/not-there"], Token);

        Assert.IsEmpty(failures);
        CollectionAssert.AreEqual(new[] { "batch-survivor" }, (await ListAllAsync(store, "", null, Token)).Select(e => e.Key).ToArray());
    }
}
