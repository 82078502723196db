using BucketMount.Backends;
using BucketMount.Backends.Decorators;
using BucketMount.Backends.Memory;

namespace BucketMount.Engine.Tests;

/// <summary>
/// Files above one part upload at once after close (nothing of a multipart upload is visible before its last
/// part), and a rename or change while the parts are still being sent cancels the upload instead of waiting.
/// </summary>
[TestClass]
public sealed class MultipartWriteBackTests
{
    private const int MiB = 1024 * 1024;

    public TestContext TestContext { get; set; } = null!;

    private CancellationToken Token => TestContext.CancellationTokenSource.Token;

    [TestMethod]
    public async Task A_rename_while_parts_are_sending_cancels_the_upload_and_the_file_lands_under_its_new_name()
    {
        // The whole-file upload after close; StreamingUploadTests has the same case for parts sent while writing.
        var store = new GatedUploadStore(new MemoryObjectStore(), gateFrom: 8L * MiB);
        await using var fx = new EngineFixture(store, o => o with { WriteBackDelay = TimeSpan.FromHours(1), StreamUploads = false });
        var data = new byte[20 * MiB];
        new Random(3).NextBytes(data);

        await fx.WriteFileAsync("/big.tmp", data, Token);
        await store.FirstPartRead.Task.WaitAsync(TimeSpan.FromSeconds(30), Token);

        // The gate still holds the upload's later parts: a rename that waited for the upload would never finish.
        await fx.Engine.RenameAsync("/big.tmp", "/big", noReplace: false, Token).WaitAsync(TimeSpan.FromSeconds(30), Token);
        Assert.AreEqual(1, store.CancelledUploads, "the upload to the old name was cancelled");
        Assert.IsNull(await store.HeadAsync("big.tmp", Token), "nothing landed under the old name");

        store.Open();
        await fx.Engine.WaitForUploadsAsync(null, Token);
        Assert.IsNull(await store.HeadAsync("big.tmp", Token));
        using var stored = new MemoryStream();
        await store.ReadToAsync("big", 0, null, stored, null, Token);
        CollectionAssert.AreEqual(data, stored.ToArray());
    }

    [TestMethod]
    public async Task A_file_above_one_part_uploads_without_waiting_for_the_write_back_delay()
    {
        var store = new MemoryObjectStore();
        await using var fx = new EngineFixture(store, o => o with { WriteBackDelay = TimeSpan.FromHours(1) });
        await fx.WriteFileAsync("/large", new byte[9 * MiB], Token);
        await fx.WriteFileAsync("/small", new byte[1000], Token);

        for (var i = 0; i < 300 && await store.HeadAsync("large", Token) is null; i++)
        {
            await Task.Delay(100, Token);
        }

        Assert.AreEqual(9 * MiB, (await store.HeadAsync("large", Token))?.Size, "the large file uploaded within 30 s despite an hour's delay");
        Assert.IsNull(await store.HeadAsync("small", Token), "a single-PUT file still waits for the delay");
    }

    /// <summary>Holds every read of an upload's source at or past <c>gateFrom</c> until opened.</summary>
    private sealed class GatedUploadStore(IObjectStore inner, long gateFrom) : ObjectStoreDecorator(inner)
    {
        private readonly TaskCompletionSource _gate = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private int _cancelled;

        private long GateFrom => gateFrom;

        public TaskCompletionSource FirstPartRead { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public int CancelledUploads => Volatile.Read(ref _cancelled);

        public void Open() => _gate.TrySetResult();

        public override async Task<ObjectInfo> UploadAsync(string key, IUploadSource source, UploadOptions? options, CancellationToken cancellationToken)
        {
            try
            {
                return await Inner.UploadAsync(key, new GatedSource(source, this), options, cancellationToken);
            }
            catch (OperationCanceledException)
            {
                Interlocked.Increment(ref _cancelled);
                throw;
            }
        }

        private sealed class GatedSource(IUploadSource inner, GatedUploadStore owner) : IUploadSource
        {
            public long Length => inner.Length;

            public async ValueTask<int> ReadAtAsync(long offset, Memory<byte> buffer, CancellationToken cancellationToken)
            {
                if (offset >= owner.GateFrom)
                {
                    await owner._gate.Task.WaitAsync(cancellationToken);
                }

                var read = await inner.ReadAtAsync(offset, buffer, cancellationToken);
                if (offset == 0)
                {
                    owner.FirstPartRead.TrySetResult();
                }

                return read;
            }

            // The memory store under this gate reads asynchronously only; a synchronous read could not wait at the gate.
            public int ReadAt(long offset, Span<byte> buffer) => throw new NotSupportedException("the gated source is read asynchronously");
        }
    }
}
