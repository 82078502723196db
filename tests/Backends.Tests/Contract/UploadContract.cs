namespace BucketMount.Backends.Tests.Contract;

public abstract partial class ObjectStoreContractTests
{
    [TestMethod]
    public async Task A_64_MiB_upload_in_8_MiB_parts_round_trips_with_metadata()
    {
        await using var store = await CreateStoreAsync(Token);
        var data = RandomBytes(64 * 1024 * 1024, 8);
        var options = new UploadOptions
        {
            PartSize = MultipartPartSize,
            Concurrency = 4,
            Metadata = new Dictionary<string, string> { ["mtime"] = "1700000000" },
        };
        var before = store.Counters.Snapshot();

        var info = await store.UploadAsync("big/object.bin", new MemoryUploadSource(data), options, Token);

        var delta = store.Counters.Snapshot().Since(before);
        Assert.AreEqual(data.Length, info.Size);
        var head = await store.HeadAsync("big/object.bin", Token);
        Assert.AreEqual(data.Length, head!.Size);
        Assert.AreEqual("1700000000", head.Metadata!.GetValueOrDefault("mtime"));
        Assert.AreEqual(Md5Hex(data), Md5Hex(await ReadAllAsync(store, "big/object.bin", Token)));
        Assert.IsGreaterThanOrEqualTo(8, delta.Requests[RequestKind.Multipart], "at least one request per part");
        Assert.AreEqual(0, delta.Requests[RequestKind.Put], "no single PUT for a multipart upload");
        Assert.AreEqual(data.Length, delta.BytesUploaded);
    }

    [TestMethod]
    public async Task Cancelling_an_upload_midway_commits_no_object()
    {
        await using var store = await CreateStoreAsync(Token);
        var data = RandomBytes(32 * 1024 * 1024, 9);
        using var cancel = CancellationTokenSource.CreateLinkedTokenSource(Token);
        var source = new CancellingSource(new MemoryUploadSource(data), cancel, cancelAfterBytes: 12 * 1024 * 1024);

        await Assert.ThrowsAsync<OperationCanceledException>(() =>
            store.UploadAsync("cancelled.bin", source, new UploadOptions { PartSize = MultipartPartSize, Concurrency = 2 }, cancel.Token));

        Assert.IsNull(await store.HeadAsync("cancelled.bin", Token));
        Assert.IsEmpty(await ListAllAsync(store, "", null, Token));
    }

    [TestMethod]
    public async Task An_upload_smaller_than_one_part_still_round_trips()
    {
        await using var store = await CreateStoreAsync(Token);
        var data = RandomBytes(1000, 10);

        await store.UploadAsync("small-upload", new MemoryUploadSource(data), new UploadOptions { PartSize = MultipartPartSize }, Token);

        CollectionAssert.AreEqual(data, await ReadAllAsync(store, "small-upload", Token));
    }

    [TestMethod]
    public async Task Upload_if_none_match_does_not_replace_an_existing_object()
    {
        await using var store = await CreateStoreAsync(Token);
        if (Gaps.HasFlag(ContractGaps.NoConditionalWrites))
        {
            Assert.Inconclusive("this emulator ignores conditions on writes (s3rver); real S3 honours them");
        }

        await PutBytesAsync(store, "exists", Utf8("keep me"), cancellationToken: Token);
        var data = RandomBytes((int)MultipartPartSize + 1000, 11);

        var error = await Assert.ThrowsExactlyAsync<ObjectStoreException>(() =>
            store.UploadAsync("exists", new MemoryUploadSource(data), new UploadOptions { PartSize = MultipartPartSize, IfNoneMatch = true }, Token));

        Assert.AreEqual(ObjectStoreErrorKind.PreconditionFailed, error.Kind);
        Assert.AreEqual("keep me", System.Text.Encoding.UTF8.GetString(await ReadAllAsync(store, "exists", Token)));
    }

    /// <summary>Cancels a token once a given number of bytes has been handed out, as a user's Ctrl+C would mid-upload.</summary>
    private sealed class CancellingSource(IUploadSource inner, CancellationTokenSource cancel, long cancelAfterBytes) : IUploadSource
    {
        private long _handedOut;

        public long Length => inner.Length;

        public async ValueTask<int> ReadAtAsync(long offset, Memory<byte> buffer, CancellationToken cancellationToken)
        {
            var read = await inner.ReadAtAsync(offset, buffer, cancellationToken);
            if (Interlocked.Add(ref _handedOut, read) >= cancelAfterBytes)
            {
                await cancel.CancelAsync();
            }

            return read;
        }

        public int ReadAt(long offset, Span<byte> buffer)
        {
            var read = inner.ReadAt(offset, buffer);
            if (Interlocked.Add(ref _handedOut, read) >= cancelAfterBytes)
            {
                cancel.Cancel();
            }

            return read;
        }
    }
}
