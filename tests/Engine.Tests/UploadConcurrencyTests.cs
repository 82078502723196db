using BucketMount.Backends;
using BucketMount.Backends.Decorators;
using BucketMount.Backends.Memory;
using BucketMount.Engine.Namespace.Index;

namespace BucketMount.Engine.Tests;

/// <summary>Small files upload many at once, apart from large ones, each queue within its own limit.</summary>
[TestClass]
public sealed class UploadConcurrencyTests
{
    private const int MiB = 1024 * 1024;

    public TestContext TestContext { get; set; } = null!;

    private CancellationToken Token => TestContext.CancellationTokenSource.Token;

    [TestMethod]
    public async Task Small_files_upload_up_to_their_own_limit_at_once_beside_large_ones()
    {
        var store = new HeldConcurrencyRecordingStore(new MemoryObjectStore());
        await using var fx = new EngineFixture(store, o => o with { UploadConcurrency = 2, SmallUploadConcurrency = 8, UploadPartSize = 5 * MiB });

        // Uploads are held at the store until each queue has filled to its limit (not for a fixed time: on a loaded
        // machine writing the files took longer than a timed hold, and fewer uploads overlapped). The writes run
        // beside the wait, so a write that waited for an upload could not deadlock the test.
        var writes = Task.Run(async () =>
        {
            for (var i = 0; i < 3; i++)
            {
                await fx.WriteFileAsync($"/large{i}.bin", new byte[6 * MiB], Token);
            }

            for (var i = 0; i < 40; i++)
            {
                await fx.WriteFileAsync($"/small{i}.txt", [(byte)i], Token);
            }
        }, Token);
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while ((store.PutsInFlight < 8 || store.UploadsInFlight < 2) && DateTime.UtcNow < deadline)
        {
            await Task.Delay(20, Token);
        }

        store.Release();
        await writes;
        await fx.Engine.WaitForUploadsAsync(null, Token);

        TestContext.WriteLine($"most at once: {store.MaxPuts} PUTs, {store.MaxUploads} multipart uploads");
        Assert.AreEqual(8, store.MaxPuts, "small files should fill their own queue, no more");
        Assert.AreEqual(2, store.MaxUploads, "large files keep to UploadConcurrency");
        for (var i = 0; i < 40; i++)
        {
            Assert.IsNotNull(await fx.Store.HeadAsync($"small{i}.txt", Token));
        }
    }

    /// <summary>
    /// Holds every file's PUT and multipart upload until released (then for a moment more) and records how many were
    /// in flight at once. A directory's metadata index is not a file upload: its PUTs are written beside them and not counted.
    /// </summary>
    private sealed class HeldConcurrencyRecordingStore(IObjectStore inner) : ObjectStoreDecorator(inner)
    {
        private readonly TaskCompletionSource _released = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private int _puts;
        private int _uploads;
        private int _maxPuts;
        private int _maxUploads;

        public int MaxPuts => Volatile.Read(ref _maxPuts);

        public int MaxUploads => Volatile.Read(ref _maxUploads);

        public int PutsInFlight => Volatile.Read(ref _puts);

        public int UploadsInFlight => Volatile.Read(ref _uploads);

        public void Release() => _released.TrySetResult();

        public override async Task<ObjectInfo> PutAsync(string key, Stream content, PutOptions? options, CancellationToken cancellationToken)
        {
            if (key.EndsWith(DirectoryIndexFormat.ReservedName, StringComparison.Ordinal))
            {
                return await Inner.PutAsync(key, content, options, cancellationToken);
            }

            Record(ref _maxPuts, Interlocked.Increment(ref _puts));
            try
            {
                await _released.Task.WaitAsync(cancellationToken);
                await Task.Delay(100, cancellationToken);
                return await Inner.PutAsync(key, content, options, cancellationToken);
            }
            finally
            {
                Interlocked.Decrement(ref _puts);
            }
        }

        public override async Task<ObjectInfo> UploadAsync(string key, IUploadSource source, UploadOptions? options, CancellationToken cancellationToken)
        {
            Record(ref _maxUploads, Interlocked.Increment(ref _uploads));
            try
            {
                await _released.Task.WaitAsync(cancellationToken);
                await Task.Delay(300, cancellationToken);
                return await Inner.UploadAsync(key, source, options, cancellationToken);
            }
            finally
            {
                Interlocked.Decrement(ref _uploads);
            }
        }

        private static void Record(ref int max, int now)
        {
            int seen;
            while ((seen = Volatile.Read(ref max)) < now && Interlocked.CompareExchange(ref max, now, seen) != seen)
            {
            }
        }
    }
}
