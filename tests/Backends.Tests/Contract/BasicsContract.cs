namespace BucketMount.Backends.Tests.Contract;

public abstract partial class ObjectStoreContractTests
{
    [TestMethod]
    public async Task Put_then_head_and_read_return_the_same_bytes_size_and_etag()
    {
        await using var store = await CreateStoreAsync(Token);
        var data = RandomBytes(100_000, 1);

        var put = await PutBytesAsync(store, "dir/file.bin", data, cancellationToken: Token);
        var head = await store.HeadAsync("dir/file.bin", Token);

        Assert.IsNotNull(head);
        Assert.AreEqual(data.Length, head.Size);
        Assert.AreEqual(put.ETag, head.ETag);
        Assert.AreEqual("dir/file.bin", head.Key);
        Assert.IsLessThan(TimeSpan.FromMinutes(10), (DateTimeOffset.UtcNow - head.LastModified).Duration());
        CollectionAssert.AreEqual(data, await ReadAllAsync(store, "dir/file.bin", Token));
    }

    [TestMethod]
    public async Task Head_of_a_missing_key_is_null_and_read_of_it_is_not_found()
    {
        await using var store = await CreateStoreAsync(Token);

        Assert.IsNull(await store.HeadAsync("nothing/here.txt", Token));
        var error = await Assert.ThrowsExactlyAsync<ObjectStoreException>(() => store.ReadAsync("nothing/here.txt", 0, new byte[10], null, Token));
        Assert.AreEqual(ObjectStoreErrorKind.NotFound, error.Kind);
        StringAssert.Contains(error.Message, "nothing/here.txt");
    }

    [TestMethod]
    public async Task Get_small_answers_as_head_does_with_the_bytes_when_they_fit()
    {
        await using var store = await CreateStoreAsync(Token);
        var data = RandomBytes(3000, 7);
        await PutBytesAsync(store, "s/small.bin", data, new PutOptions { Metadata = new Dictionary<string, string> { ["mtime"] = "1700000000.5" } }, Token);
        await PutBytesAsync(store, "s/empty", [], cancellationToken: Token);

        var small = await store.GetSmallAsync("s/small.bin", 4096, Token);
        var head = await store.HeadAsync("s/small.bin", Token);
        var tooBig = await store.GetSmallAsync("s/small.bin", 100, Token);
        var empty = await store.GetSmallAsync("s/empty", 4096, Token);

        Assert.IsNotNull(small);
        Assert.AreEqual((head!.Key, head.Size, head.ETag), (small.Info.Key, small.Info.Size, small.Info.ETag));
        Assert.AreEqual("1700000000.5", small.Info.Metadata?.GetValueOrDefault("mtime"));
        CollectionAssert.AreEqual(data, small.Data);
        Assert.IsNull(tooBig!.Data, "larger than asked: attributes only");
        Assert.AreEqual(3000, tooBig.Info.Size);
        Assert.IsEmpty(empty!.Data!);
        Assert.IsNull(await store.GetSmallAsync("s/missing", 4096, Token));
    }

    [TestMethod]
    public async Task An_empty_object_round_trips()
    {
        await using var store = await CreateStoreAsync(Token);

        await PutBytesAsync(store, "empty", [], cancellationToken: Token);

        Assert.AreEqual(0, (await store.HeadAsync("empty", Token))!.Size);
        Assert.IsEmpty(await ReadAllAsync(store, "empty", Token));
        if (!Gaps.HasFlag(ContractGaps.BrokenRangeOnEmptyObject))
        {
            Assert.AreEqual(0, await store.ReadAsync("empty", 0, new byte[8], null, Token));
        }
    }

    [TestMethod]
    public async Task Overwrite_replaces_bytes_and_changes_the_etag()
    {
        await using var store = await CreateStoreAsync(Token);

        var first = await PutBytesAsync(store, "f", Utf8("first version"), cancellationToken: Token);
        var second = await PutBytesAsync(store, "f", Utf8("second, longer version"), cancellationToken: Token);

        Assert.AreNotEqual(first.ETag, second.ETag);
        Assert.AreEqual("second, longer version", System.Text.Encoding.UTF8.GetString(await ReadAllAsync(store, "f", Token)));
        Assert.AreEqual(second.ETag, (await store.HeadAsync("f", Token))!.ETag);
    }

    [TestMethod]
    public async Task Metadata_and_content_type_round_trip_through_put_and_head()
    {
        await using var store = await CreateStoreAsync(Token);
        var metadata = new Dictionary<string, string> { ["mtime"] = "1700000000.123456789", ["mode"] = "33188", ["uid"] = "1000" };

        await PutBytesAsync(store, "meta.txt", Utf8("x"), new PutOptions { Metadata = metadata, ContentType = "text/plain" }, Token);
        var head = await store.HeadAsync("meta.txt", Token);

        Assert.IsNotNull(head?.Metadata);
        foreach (var (name, value) in metadata)
        {
            Assert.AreEqual(value, head.Metadata.GetValueOrDefault(name), $"metadata '{name}'");
        }

        StringAssert.StartsWith(head.ContentType, "text/plain");
    }

    [TestMethod]
    public async Task Metadata_names_no_store_can_carry_are_refused_with_the_name()
    {
        await using var store = await CreateStoreAsync(Token);

        var error = await Assert.ThrowsExactlyAsync<ObjectStoreException>(() =>
            PutBytesAsync(store, "m", Utf8("x"), new PutOptions { Metadata = new Dictionary<string, string> { ["bad-name!"] = "v" } }, Token));

        Assert.AreEqual(ObjectStoreErrorKind.InvalidArgument, error.Kind);
        StringAssert.Contains(error.Message, "bad-name!");
        Assert.IsNull(await store.HeadAsync("m", Token));
    }

    [TestMethod]
    public async Task Put_reads_a_stream_that_cannot_seek()
    {
        await using var store = await CreateStoreAsync(Token);
        var data = RandomBytes(300_000, 2);

        await using (var stream = new ForwardOnlyStream(data))
        {
            await store.PutAsync("forward-only", stream, null, Token);
        }

        CollectionAssert.AreEqual(data, await ReadAllAsync(store, "forward-only", Token));
    }

    [TestMethod]
    public async Task Counters_count_requests_by_kind_and_bytes_moved()
    {
        await using var store = await CreateStoreAsync(Token);
        var before = store.Counters.Snapshot();

        await PutBytesAsync(store, "counted", RandomBytes(1000, 3), cancellationToken: Token);
        await store.HeadAsync("counted", Token);
        await store.ReadAsync("counted", 0, new byte[1000], null, Token);
        var delta = store.Counters.Snapshot().Since(before);

        Assert.AreEqual(1, delta.Requests[RequestKind.Put]);
        Assert.AreEqual(1, delta.Requests[RequestKind.Head]);
        Assert.AreEqual(1, delta.Requests[RequestKind.Get]);
        Assert.AreEqual(1000, delta.BytesUploaded);
        Assert.AreEqual(1000, delta.BytesDownloaded);
    }

    [TestMethod]
    public async Task Description_names_the_store_and_holds_no_secret()
    {
        await using var store = await CreateStoreAsync(Token);

        Assert.IsFalse(string.IsNullOrWhiteSpace(store.Description));
        foreach (var secret in KnownSecrets)
        {
            Assert.DoesNotContain(secret, store.Description);
            Assert.DoesNotContain(secret, store.ToString()!);
        }
    }

    /// <summary>Credentials the target was created with; they must never appear in descriptions or messages.</summary>
    protected virtual IEnumerable<string> KnownSecrets => [];

    /// <summary>A stream that can only be read forward, like a pipe or a network body.</summary>
    private sealed class ForwardOnlyStream(byte[] data) : Stream
    {
        private int _position;

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count)
        {
            var n = Math.Min(Math.Min(count, 7919), data.Length - _position);
            Array.Copy(data, _position, buffer, offset, n);
            _position += n;
            return n;
        }

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
