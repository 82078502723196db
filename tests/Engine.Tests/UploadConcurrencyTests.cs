using BucketMount.Backends;
using BucketMount.Backends.Decorators;
using BucketMount.Backends.Memory;

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
        var store = new SlowConcurrencyRecordingStore(new MemoryObjectStore());
        await using var fx = new EngineFixture(store, o => o with { UploadConcurrency = 2, SmallUploadConcurrency = 8, UploadPartSize = 5 * MiB });

        for (var i = 0; i < 3; i++)
        {
            await fx.WriteFileAsync($"/large{i}.bin", new byte[6 * MiB]);
        }

        for (var i = 0; i < 40; i++)
        {
            await fx.WriteFileAsync($"/small{i}.txt", [(byte)i]);
        }

        await fx.Engine.WaitForUploadsAsync(null, Token);

        TestContext.WriteLine($"most at once: {store.MaxPuts} PUTs, {store.MaxUploads} multipart uploads");
        Assert.AreEqual(8, store.MaxPuts, "small files should fill their own queue, no more");
        Assert.AreEqual(2, store.MaxUploads, "large files keep to UploadConcurrency");
        for (var i = 0; i < 40; i++)
        {
            Assert.IsNotNull(await fx.Store.HeadAsync($"small{i}.txt", Token));
        }
    }

    /// <summary>Holds every PUT and multipart upload for a moment and records how many were in flight at once.</summary>
    private sealed class SlowConcurrencyRecordingStore(IObjectStore inner) : ObjectStoreDecorator(inner)
    {
        private int _puts;
        private int _uploads;
        private int _maxPuts;
        private int _maxUploads;

        public int MaxPuts => Volatile.Read(ref _maxPuts);

        public int MaxUploads => Volatile.Read(ref _maxUploads);

        public override async Task<ObjectInfo> PutAsync(string key, Stream content, PutOptions? options, CancellationToken cancellationToken)
        {
            Record(ref _maxPuts, Interlocked.Increment(ref _puts));
            try
            {
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
