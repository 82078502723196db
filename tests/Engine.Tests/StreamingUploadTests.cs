using BucketMount.Backends;
using BucketMount.Backends.Decorators;
using BucketMount.Backends.Memory;
using BucketMount.Engine.Namespace;

namespace BucketMount.Engine.Tests;

/// <summary>
/// A large file written from empty to its end in order is sent part by part while it is written; anything else
/// abandons that and the file is uploaded whole at close, as before. Either way the store ends with the right bytes.
/// </summary>
[TestClass]
public sealed class StreamingUploadTests
{
    private const int MiB = 1024 * 1024;
    private const long PartSize = 5 * MiB;

    public TestContext TestContext { get; set; } = null!;

    private CancellationToken Token => TestContext.CancellationTokenSource.Token;

    [TestMethod]
    public async Task Parts_of_a_file_written_in_order_are_in_the_store_before_close_and_complete_at_close()
    {
        var store = new RecordingStore(new MemoryObjectStore());
        await using var fx = Fixture(store);
        var data = Bytes(23 * MiB, 1);

        var handle = await fx.Engine.OpenAsync("/big.bin", OpenFlags.Write | OpenFlags.Create, Token);
        await WriteInOrderAsync(handle, data, 0, data.Length);
        await store.WaitForPartsAsync(4, Token);
        Assert.IsNull(await store.HeadAsync("big.bin", Token), "nothing is visible before close completes it");
        var shown = (await fx.Engine.GetAttributesAsync("/big.bin", Token)).ModifiedTime;
        await handle.DisposeAsync();
        await fx.Engine.WaitForUploadsAsync(null, Token);

        CollectionAssert.AreEqual(data, await ReadStoreAsync(store, "big.bin"));
        Assert.AreEqual(1, store.Begun);
        Assert.AreEqual(5, store.PartsSent, "4 whole parts while writing, the last 3 MiB at close");
        Assert.AreEqual(1, store.Completed);
        Assert.AreEqual(0, store.WholeUploads, "nothing was sent twice");
        Assert.AreEqual(0, store.Copies, "the time kept needs no correcting copy");
        Assert.AreEqual(1, fx.Engine.GetStatistics().StreamedUploads);

        var kept = ObjectMetadata.ParseMtime((await store.HeadAsync("big.bin", Token))!.Metadata!.GetValueOrDefault(ObjectMetadata.MtimeKey));
        Assert.AreEqual(shown, kept, "the time shown while writing is the time kept");
        await fx.RemountAsync();
        Assert.AreEqual(shown, (await fx.Engine.GetAttributesAsync("/big.bin", Token)).ModifiedTime);
    }

    [TestMethod]
    public async Task A_write_before_the_end_abandons_the_parts_and_the_file_is_uploaded_whole()
    {
        var store = new RecordingStore(new MemoryObjectStore());
        await using var fx = Fixture(store);
        var data = Bytes(18 * MiB, 2);

        var handle = await fx.Engine.OpenAsync("/edited.bin", OpenFlags.Write | OpenFlags.Create, Token);
        await WriteInOrderAsync(handle, data, 0, 12 * MiB);
        await store.WaitForPartsAsync(2, Token);
        var patch = Bytes(100_000, 3);
        await handle.WriteAsync(MiB, patch, Token);
        patch.CopyTo(data, MiB);
        await WriteInOrderAsync(handle, data, 12 * MiB, 6 * MiB);
        await handle.DisposeAsync();
        await fx.Engine.WaitForUploadsAsync(null, Token);

        CollectionAssert.AreEqual(data, await ReadStoreAsync(store, "edited.bin"));
        Assert.AreEqual(1, store.Begun, "no second stream for content no longer written in order");
        Assert.AreEqual(0, store.Completed);
        await store.WaitForAbortsAsync(1, Token);
        Assert.AreEqual(1, store.WholeUploads);
        Assert.AreEqual(0, fx.Engine.GetStatistics().StreamedUploads);
    }

    [TestMethod]
    public async Task A_truncate_to_zero_starts_the_content_and_its_parts_over()
    {
        var store = new RecordingStore(new MemoryObjectStore());
        await using var fx = Fixture(store);
        var first = Bytes(12 * MiB, 4);
        var second = Bytes(16 * MiB, 5);

        var handle = await fx.Engine.OpenAsync("/rewritten.bin", OpenFlags.Write | OpenFlags.Create, Token);
        await WriteInOrderAsync(handle, first, 0, first.Length);
        await handle.TruncateAsync(0, Token);
        await WriteInOrderAsync(handle, second, 0, second.Length);
        await handle.DisposeAsync();
        await fx.Engine.WaitForUploadsAsync(null, Token);

        CollectionAssert.AreEqual(second, await ReadStoreAsync(store, "rewritten.bin"));
        // The abandoned stream began off the writer's thread, maybe only after the truncate: its abort follows its begin.
        await store.WaitForAbortsAsync(1, Token);
        Assert.AreEqual(2, store.Begun);
        Assert.AreEqual(1, store.Completed);
        Assert.AreEqual(0, store.WholeUploads);
    }

    [TestMethod]
    public async Task Attributes_set_while_the_parts_stream_are_kept_by_a_copy_in_the_store_not_a_second_upload()
    {
        var store = new RecordingStore(new MemoryObjectStore());
        await using var fx = Fixture(store);
        var data = Bytes(13 * MiB, 6);
        var mtime = new DateTimeOffset(2020, 5, 6, 7, 8, 9, TimeSpan.Zero);

        // As cp -p does: write everything, set mode and times on the open file, then close.
        var handle = await fx.Engine.OpenAsync("/kept.bin", OpenFlags.Write | OpenFlags.Create, Token);
        await WriteInOrderAsync(handle, data, 0, data.Length);
        await fx.Engine.SetAttributesAsync("/kept.bin", new AttributeChanges { Mode = 0x180, ModifiedTime = mtime }, Token);
        await handle.DisposeAsync();
        await fx.Engine.WaitForUploadsAsync(null, Token);

        CollectionAssert.AreEqual(data, await ReadStoreAsync(store, "kept.bin"));
        Assert.AreEqual(1, store.Completed);
        Assert.AreEqual(1, store.Copies);
        Assert.AreEqual(0, store.WholeUploads);
        await fx.RemountAsync();
        var node = await fx.Engine.GetAttributesAsync("/kept.bin", Token);
        Assert.AreEqual(mtime, node.ModifiedTime);
        Assert.AreEqual(0x180, node.Mode & 0xFFF);
    }

    [TestMethod]
    public async Task A_file_renamed_while_its_parts_stream_ends_under_the_new_name_only()
    {
        var store = new RecordingStore(new MemoryObjectStore());
        await using var fx = Fixture(store);
        var data = Bytes(14 * MiB, 7);

        var handle = await fx.Engine.OpenAsync("/old.bin", OpenFlags.Write | OpenFlags.Create, Token);
        await WriteInOrderAsync(handle, data, 0, 11 * MiB);
        await fx.Engine.RenameAsync("/old.bin", "/new.bin", noReplace: false, Token);
        await WriteInOrderAsync(handle, data, 11 * MiB, 3 * MiB);
        await handle.DisposeAsync();
        await fx.Engine.WaitForUploadsAsync(null, Token);

        CollectionAssert.AreEqual(data, await ReadStoreAsync(store, "new.bin"));
        Assert.IsNull(await store.HeadAsync("old.bin", Token));
        await store.WaitForAbortsAsync(1, Token);
        Assert.AreEqual(2, store.Begun, "the parts for the old name were dropped at the rename; the next append began anew");
        Assert.AreEqual(1, store.Completed);
        Assert.AreEqual(0, store.WholeUploads);
    }

    [TestMethod]
    public async Task A_rename_after_close_while_parts_are_still_sending_cancels_instead_of_waiting()
    {
        var store = new RecordingStore(new MemoryObjectStore()) { HoldPartsFrom = 2 };
        await using var fx = Fixture(store);
        var data = Bytes(17 * MiB, 12);

        await WriteAndCloseAsync(fx, "/big.tmp", data);

        // Parts 2 and later are held: a rename that waited for the upload would never finish.
        await fx.Engine.RenameAsync("/big.tmp", "/big", noReplace: false, Token).WaitAsync(TimeSpan.FromSeconds(30), Token);
        Assert.AreEqual(0, store.Completed);
        Assert.IsNull(await store.HeadAsync("big.tmp", Token), "nothing landed under the old name");

        store.ReleaseParts();
        await fx.Engine.WaitForUploadsAsync(null, Token);
        CollectionAssert.AreEqual(data, await ReadStoreAsync(store, "big"));
        Assert.IsNull(await store.HeadAsync("big.tmp", Token));
        await store.WaitForAbortsAsync(1, Token);
    }

    [TestMethod]
    public async Task A_file_deleted_while_its_parts_stream_leaves_nothing()
    {
        var store = new RecordingStore(new MemoryObjectStore());
        await using var fx = Fixture(store);
        var data = Bytes(12 * MiB, 8);

        var handle = await fx.Engine.OpenAsync("/gone.bin", OpenFlags.Write | OpenFlags.Create, Token);
        await WriteInOrderAsync(handle, data, 0, data.Length);
        await fx.Engine.DeleteFileAsync("/gone.bin", Token);
        await handle.DisposeAsync();
        await fx.Engine.WaitForUploadsAsync(null, Token);

        Assert.IsNull(await store.HeadAsync("gone.bin", Token));
        await store.WaitForAbortsAsync(1, Token);
        Assert.AreEqual(0, store.Completed);
    }

    [TestMethod]
    public async Task Parts_that_fail_fall_back_to_the_whole_upload()
    {
        var store = new RecordingStore(new MemoryObjectStore()) { FailParts = true };
        await using var fx = Fixture(store);
        var data = Bytes(12 * MiB, 9);

        await WriteAndCloseAsync(fx, "/retried.bin", data);

        await fx.Engine.WaitForUploadsAsync(null, Token);

        CollectionAssert.AreEqual(data, await ReadStoreAsync(store, "retried.bin"));
        Assert.AreEqual(1, store.WholeUploads);
        Assert.AreEqual(0, fx.Engine.GetStatistics().StreamedUploads);
        await store.WaitForAbortsAsync(1, Token);
    }

    [TestMethod]
    public async Task A_store_refusing_to_begin_fails_no_write_and_the_file_uploads_whole()
    {
        var store = new RecordingStore(new MemoryObjectStore()) { BeginThrows = true };
        await using var fx = Fixture(store);
        var data = Bytes(12 * MiB, 13);

        await WriteAndCloseAsync(fx, "/refused.bin", data);

        await fx.Engine.WaitForUploadsAsync(null, Token);

        CollectionAssert.AreEqual(data, await ReadStoreAsync(store, "refused.bin"));
        Assert.AreEqual(1, store.Begun);
        Assert.AreEqual(1, store.WholeUploads);
    }

    [TestMethod]
    public async Task Small_files_and_disabled_streaming_upload_whole_as_before()
    {
        var store = new RecordingStore(new MemoryObjectStore());
        await using (var fx = Fixture(store))
        {
            await fx.WriteFileAsync("/small.bin", Bytes(9 * MiB, 10), Token);
            await fx.Engine.WaitForUploadsAsync(null, Token);
        }

        await using (var fx = new EngineFixture(store, o => o with { UploadPartSize = PartSize, StreamUploads = false }))
        {
            await fx.WriteFileAsync("/off.bin", Bytes(20 * MiB, 11), Token);
            await fx.Engine.WaitForUploadsAsync(null, Token);
        }

        Assert.AreEqual(0, store.Begun, "under two parts, or switched off: no stream");
        Assert.AreEqual(2, store.WholeUploads);
    }

    [TestMethod]
    [DataRow(1)]
    [DataRow(2)]
    [DataRow(3)]
    public async Task Random_appends_writes_truncates_and_closes_leave_the_bytes_last_written(int seed)
    {
        var store = new RecordingStore(new MemoryObjectStore());
        await using var fx = Fixture(store);
        var random = new Random(seed);
        var model = new List<byte>();
        var handle = await fx.Engine.OpenAsync("/mixed.bin", OpenFlags.Write | OpenFlags.Create, Token);
        for (var step = 0; step < 60; step++)
        {
            var choice = random.Next(20);
            if (choice < 15)
            {
                var data = Bytes(random.Next(1, 5 * MiB), random.Next());
                await WriteInOrderAsync(handle, [.. model, .. data], model.Count, data.Length);
                model.AddRange(data);
            }
            else if (choice == 15 && model.Count > 0)
            {
                var data = Bytes(random.Next(1, 100_000), random.Next());
                var offset = random.Next(model.Count);
                await handle.WriteAsync(offset, data, Token);
                for (var i = 0; i < data.Length; i++)
                {
                    if (offset + i < model.Count)
                    {
                        model[offset + i] = data[i];
                    }
                    else
                    {
                        model.Add(data[i]);
                    }
                }
            }
            else if (choice == 16)
            {
                var length = random.Next(2) == 0 ? 0 : random.Next(model.Count + 1);
                await handle.TruncateAsync(length, Token);
                model.RemoveRange(length, model.Count - length);
            }
            else
            {
                // Close (the upload finishes what streamed) and reopen, mostly emptied: appending to what is already
                // in the store never streams, since the parts would need its start.
                await handle.DisposeAsync();
                await fx.Engine.WaitForUploadsAsync(null, Token);
                CollectionAssert.AreEqual(model.ToArray(), await ReadStoreAsync(store, "mixed.bin"), $"seed {seed}, step {step}");
                var empty = random.Next(4) != 0;
                handle = await fx.Engine.OpenAsync("/mixed.bin", OpenFlags.Write | (empty ? OpenFlags.Truncate : 0), Token);
                if (empty)
                {
                    model.Clear();
                }
            }
        }

        await handle.DisposeAsync();
        await fx.Engine.WaitForUploadsAsync(null, Token);
        CollectionAssert.AreEqual(model.ToArray(), await ReadStoreAsync(store, "mixed.bin"), $"seed {seed}, at the end");
        Assert.IsGreaterThan(0, store.Completed, $"some content streamed ({store.Begun} streams begun, {store.Completed} completed, {store.WholeUploads} whole uploads)");
    }

    private static EngineFixture Fixture(IObjectStore store) => new(store, o => o with { UploadPartSize = PartSize });

    private static byte[] Bytes(int length, int seed)
    {
        var data = new byte[length];
        new Random(seed).NextBytes(data);
        return data;
    }

    /// <summary>Creates <paramref name="path"/>, writes all of <paramref name="data"/> in order and closes it.</summary>
    private async Task WriteAndCloseAsync(EngineFixture fx, string path, byte[] data)
    {
        await using var handle = await fx.Engine.OpenAsync(path, OpenFlags.Write | OpenFlags.Create, Token);
        await WriteInOrderAsync(handle, data, 0, data.Length);
    }

    /// <summary>Writes in 128 KiB pieces, as the kernel hands a sequential writer's data to a FUSE file system.</summary>
    private async Task WriteInOrderAsync(FileHandle handle, byte[] data, int from, int length)
    {
        for (var offset = from; offset < from + length; offset += 128 * 1024)
        {
            await handle.WriteAsync(offset, data.AsMemory(offset, Math.Min(128 * 1024, from + length - offset)), Token);
        }
    }

    private async Task<byte[]> ReadStoreAsync(IObjectStore store, string key)
    {
        using var buffer = new MemoryStream();
        await store.ReadToAsync(key, 0, null, buffer, null, Token);
        return buffer.ToArray();
    }

    /// <summary>Counts part uploads, completions, aborts, whole uploads and copies; can fail every part.</summary>
    private sealed class RecordingStore(IObjectStore inner) : ObjectStoreDecorator(inner)
    {
        private int _begun;
        private int _parts;
        private int _completed;
        private int _aborted;
        private int _whole;
        private int _copies;

        private readonly TaskCompletionSource _partsReleased = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public bool FailParts { get; init; }

        /// <summary>Parts numbered from this on wait until <see cref="ReleaseParts"/> (0: none wait).</summary>
        public int HoldPartsFrom { get; init; }

        public void ReleaseParts() => _partsReleased.TrySetResult();

        public int Begun => Volatile.Read(ref _begun);

        public int PartsSent => Volatile.Read(ref _parts);

        public int Completed => Volatile.Read(ref _completed);

        public int WholeUploads => Volatile.Read(ref _whole);

        public int Copies => Volatile.Read(ref _copies);

        public Task WaitForPartsAsync(int count, CancellationToken cancellationToken) => WaitForAsync(() => PartsSent >= count, $"{count} parts", cancellationToken);

        public Task WaitForAbortsAsync(int count, CancellationToken cancellationToken) =>
            WaitForAsync(() => Volatile.Read(ref _aborted) >= count, $"{count} aborts", cancellationToken);

        /// <summary>Begin throws before returning a task, as a store validating its arguments up front may.</summary>
        public bool BeginThrows { get; init; }

        public override Task<IPartUpload?> BeginPartUploadAsync(string key, PutOptions options, CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref _begun);
            return BeginThrows
                ? throw new ObjectStoreException(ObjectStoreErrorKind.InvalidArgument, "refused (test)", "recording", key)
                : WrapAsync(Inner.BeginPartUploadAsync(key, options, cancellationToken));
        }

        private async Task<IPartUpload?> WrapAsync(Task<IPartUpload?> begin) => await begin is { } upload ? new Recorded(upload, this) : null;

        public override Task<ObjectInfo> UploadAsync(string key, IUploadSource source, UploadOptions? options, CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref _whole);
            return Inner.UploadAsync(key, source, options, cancellationToken);
        }

        public override Task<ObjectInfo> PutAsync(string key, Stream content, PutOptions? options, CancellationToken cancellationToken)
        {
            if (content.Length > MiB)
            {
                Interlocked.Increment(ref _whole);
            }

            return Inner.PutAsync(key, content, options, cancellationToken);
        }

        public override Task<ObjectInfo> CopyAsync(string sourceKey, string destinationKey, CopyOptions? options, CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref _copies);
            return Inner.CopyAsync(sourceKey, destinationKey, options, cancellationToken);
        }

        private static async Task WaitForAsync(Func<bool> done, string what, CancellationToken cancellationToken)
        {
            var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
            while (!done() && DateTime.UtcNow < deadline)
            {
                await Task.Delay(20, cancellationToken);
            }

            Assert.IsTrue(done(), $"waited 60 s for {what}");
        }

        private sealed class Recorded(IPartUpload inner, RecordingStore store) : PartUploadDecorator(inner)
        {
            public override async Task UploadPartAsync(int partNumber, IUploadSource source, long offset, long length, CancellationToken cancellationToken)
            {
                if (store.HoldPartsFrom > 0 && partNumber >= store.HoldPartsFrom)
                {
                    await store._partsReleased.Task.WaitAsync(cancellationToken);
                }

                if (store.FailParts)
                {
                    throw new ObjectStoreException(ObjectStoreErrorKind.AccessDenied, "parts refused (test)", "recording", Key);
                }

                await Inner.UploadPartAsync(partNumber, source, offset, length, cancellationToken);
                Interlocked.Increment(ref store._parts);
            }

            public override async Task<ObjectInfo> CompleteAsync(long length, CancellationToken cancellationToken)
            {
                var info = await Inner.CompleteAsync(length, cancellationToken);
                Interlocked.Increment(ref store._completed);
                return info;
            }

            public override async Task AbortAsync(CancellationToken cancellationToken)
            {
                await Inner.AbortAsync(cancellationToken);
                Interlocked.Increment(ref store._aborted);
            }
        }
    }
}
