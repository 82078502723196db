namespace BucketMount.Backends.Tests.Contract;

/// <summary>Uploads sent part by part while the object is still being written (<see cref="IPartUpload"/>).</summary>
public abstract partial class ObjectStoreContractTests
{
    [TestMethod]
    public async Task A_part_upload_sent_out_of_order_completes_as_one_object_with_its_metadata()
    {
        await using var store = await CreateStoreAsync(Token);
        if (!store.Capabilities.PartUploads)
        {
            Assert.IsNull(await store.BeginPartUploadAsync("parts.bin", new PutOptions(), Token), "a store without part uploads says so with null");
            return;
        }

        var part = (int)MultipartPartSize;
        var data = RandomBytes(2 * part + 1234, 21);
        var source = new MemoryUploadSource(data);
        var upload = (await store.BeginPartUploadAsync("parts.bin", new PutOptions { Metadata = new Dictionary<string, string> { ["mtime"] = "1700000001" } }, Token))!;

        await upload.UploadPartAsync(3, source, 2L * part, 1234, Token);
        await upload.UploadPartAsync(1, source, 0, part, Token);
        Assert.IsNull(await store.HeadAsync("parts.bin", Token), "nothing is visible before completion");
        await upload.UploadPartAsync(2, source, part, part, Token);
        var info = await upload.CompleteAsync(data.Length, Token);

        Assert.AreEqual(data.Length, info.Size);
        Assert.AreEqual("parts.bin", info.Key);
        var head = await store.HeadAsync("parts.bin", Token);
        Assert.AreEqual(data.Length, head!.Size);
        Assert.AreEqual(info.ETag, head.ETag);
        Assert.AreEqual("1700000001", head.Metadata!.GetValueOrDefault("mtime"));
        Assert.AreEqual(Md5Hex(data), Md5Hex(await ReadAllAsync(store, "parts.bin", Token)));
    }

    [TestMethod]
    public async Task An_aborted_part_upload_leaves_what_was_there()
    {
        await using var store = await CreateStoreAsync(Token);
        if (!store.Capabilities.PartUploads)
        {
            Assert.Inconclusive("this store has no part uploads (the engine uploads whole files there); the first test checks it says so");
        }

        await PutBytesAsync(store, "kept.bin", Utf8("before"), cancellationToken: Token);
        var data = RandomBytes((int)MultipartPartSize, 22);
        var upload = (await store.BeginPartUploadAsync("kept.bin", new PutOptions(), Token))!;
        await upload.UploadPartAsync(1, new MemoryUploadSource(data), 0, data.Length, Token);

        await upload.AbortAsync(Token);

        Assert.AreEqual("before", System.Text.Encoding.UTF8.GetString(await ReadAllAsync(store, "kept.bin", Token)));
        Assert.HasCount(1, await ListAllAsync(store, "", null, Token));
    }

    [TestMethod]
    public async Task Completing_with_a_part_missing_fails_and_commits_nothing()
    {
        await using var store = await CreateStoreAsync(Token);
        if (!store.Capabilities.PartUploads)
        {
            Assert.Inconclusive("this store has no part uploads (the engine uploads whole files there); the first test checks it says so");
        }

        var part = (int)MultipartPartSize;
        var data = RandomBytes(part + 10, 23);
        var upload = (await store.BeginPartUploadAsync("gap.bin", new PutOptions(), Token))!;
        await upload.UploadPartAsync(2, new MemoryUploadSource(data), part, 10, Token);

        await Assert.ThrowsExactlyAsync<ObjectStoreException>(() => upload.CompleteAsync(data.Length, Token));

        await upload.AbortAsync(Token);
        Assert.IsNull(await store.HeadAsync("gap.bin", Token));
    }

    [TestMethod]
    public async Task A_part_upload_begun_if_none_match_does_not_replace_an_object_created_meanwhile()
    {
        await using var store = await CreateStoreAsync(Token);
        if (!store.Capabilities.PartUploads)
        {
            Assert.Inconclusive("this store has no part uploads (the engine uploads whole files there); the first test checks it says so");
        }

        if (Gaps.HasFlag(ContractGaps.NoConditionalWrites))
        {
            Assert.Inconclusive("this emulator ignores conditions on writes (s3rver); real S3 honours them");
        }

        var data = RandomBytes((int)MultipartPartSize + 10, 24);
        var upload = (await store.BeginPartUploadAsync("raced.bin", new PutOptions { IfNoneMatch = true }, Token))!;
        await upload.UploadPartAsync(1, new MemoryUploadSource(data), 0, MultipartPartSize, Token);
        await upload.UploadPartAsync(2, new MemoryUploadSource(data), MultipartPartSize, 10, Token);
        await PutBytesAsync(store, "raced.bin", Utf8("theirs"), cancellationToken: Token);

        var error = await Assert.ThrowsExactlyAsync<ObjectStoreException>(() => upload.CompleteAsync(data.Length, Token));

        Assert.AreEqual(ObjectStoreErrorKind.PreconditionFailed, error.Kind);
        Assert.AreEqual("theirs", System.Text.Encoding.UTF8.GetString(await ReadAllAsync(store, "raced.bin", Token)));
        await upload.AbortAsync(Token);
    }

    [TestMethod]
    public async Task An_upload_left_unfinished_is_discarded_by_its_key_and_id()
    {
        await using var store = await CreateStoreAsync(Token);
        if (!store.Capabilities.PartUploads)
        {
            // Nothing of an unfinished upload stays in such a store (or it expires by itself): nothing to discard.
            await store.AbortPartUploadAsync("left.bin", "no-such-upload", Token);
            return;
        }

        var data = RandomBytes((int)MultipartPartSize, 25);
        var upload = (await store.BeginPartUploadAsync("left.bin", new PutOptions(), Token))!;
        await upload.UploadPartAsync(1, new MemoryUploadSource(data), 0, MultipartPartSize, Token);
        Assert.IsFalse(string.IsNullOrEmpty(upload.UploadId));

        if (Gaps.HasFlag(ContractGaps.NoMultipartAbort))
        {
            var refused = await Assert.ThrowsExactlyAsync<ObjectStoreException>(() => store.AbortPartUploadAsync("left.bin", upload.UploadId, Token));
            Assert.AreEqual(ObjectStoreErrorKind.NotSupported, refused.Kind, refused.Message);
            return;
        }

        // As a new process would after a crash: by key and id only, not through the upload object.
        await store.AbortPartUploadAsync("left.bin", upload.UploadId, Token);

        // Without the abort this completion would commit part 1 as the whole object.
        await Assert.ThrowsExactlyAsync<ObjectStoreException>(() => upload.CompleteAsync(MultipartPartSize, Token), "the parts are gone: the upload cannot complete");
        Assert.IsNull(await store.HeadAsync("left.bin", Token));
        await store.AbortPartUploadAsync("left.bin", upload.UploadId, Token);
    }

    [TestMethod]
    public async Task A_whole_upload_in_parts_tells_its_id_before_sending_and_ends_it()
    {
        await using var store = await CreateStoreAsync(Token);
        var part = (int)MultipartPartSize;
        var data = RandomBytes(2 * part + 5, 26);
        var begun = new List<string>();

        await store.UploadAsync("whole.bin", new MemoryUploadSource(data), new UploadOptions { PartSize = part, PartUploadBegun = begun.Add }, Token);

        Assert.HasCount(store.Capabilities.PartUploads ? 1 : 0, begun, "an id is told once, where the store keeps parts");
        foreach (var uploadId in begun)
        {
            if (!Gaps.HasFlag(ContractGaps.NoMultipartAbort))
            {
                await store.AbortPartUploadAsync("whole.bin", uploadId, Token);
            }
        }

        Assert.AreEqual(Md5Hex(data), Md5Hex(await ReadAllAsync(store, "whole.bin", Token)), "aborting a completed upload changes nothing");
    }

    [TestMethod]
    public async Task Unfinished_uploads_under_a_prefix_are_listed_with_their_start_until_aborted()
    {
        await using var store = await CreateStoreAsync(Token);
        if (!store.Capabilities.PartUploads)
        {
            Assert.IsEmpty(await ToListAsync(store.ListUnfinishedPartUploadsAsync("", Token)), "a store that keeps no parts has none to list");
            return;
        }

        var data = RandomBytes((int)MultipartPartSize, 27);
        var wanted = (await store.BeginPartUploadAsync("stale/a.bin", new PutOptions(), Token))!;
        await wanted.UploadPartAsync(1, new MemoryUploadSource(data), 0, data.Length, Token);
        var elsewhere = (await store.BeginPartUploadAsync("other/b.bin", new PutOptions(), Token))!;

        if (Gaps.HasFlag(ContractGaps.NoUploadListing))
        {
            if (Gaps.HasFlag(ContractGaps.NoMultipartAbort))
            {
                var refused = await Assert.ThrowsExactlyAsync<ObjectStoreException>(() => ToListAsync(store.ListUnfinishedPartUploadsAsync("stale/", Token)));
                Assert.AreEqual(ObjectStoreErrorKind.NotSupported, refused.Kind, refused.Message);
            }
            else
            {
                Assert.IsEmpty(await ToListAsync(store.ListUnfinishedPartUploadsAsync("stale/", Token)), "fauxqs answers an object listing: this would show its gap is gone");
            }

            return;
        }

        var listed = (await ToListAsync(store.ListUnfinishedPartUploadsAsync("stale/", Token))).Single();
        Assert.AreEqual("stale/a.bin", listed.Key);
        Assert.AreEqual(wanted.UploadId, listed.UploadId);
        Assert.IsLessThan(TimeSpan.FromMinutes(5), (DateTimeOffset.UtcNow - listed.Initiated).Duration(), $"initiated {listed.Initiated:O}");

        await store.AbortPartUploadAsync(listed.Key, listed.UploadId, Token);
        Assert.IsEmpty(await ToListAsync(store.ListUnfinishedPartUploadsAsync("stale/", Token)));
        Assert.AreEqual(elsewhere.UploadId, (await ToListAsync(store.ListUnfinishedPartUploadsAsync("", Token))).Single().UploadId);
        await elsewhere.AbortAsync(Token);
    }

    private static async Task<List<T>> ToListAsync<T>(IAsyncEnumerable<T> items)
    {
        var list = new List<T>();
        await foreach (var item in items)
        {
            list.Add(item);
        }

        return list;
    }
}
