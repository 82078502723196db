using BucketMount.Backends;
using BucketMount.Backends.Decorators;
using BucketMount.Backends.Memory;

namespace BucketMount.Engine.Tests;

/// <summary>
/// An upload in parts that a crash interrupts leaves its parts in the bucket (invisible, billed). Every such upload
/// is recorded in the journal while it runs; the next start on that cache discards its parts. A crash is simulated
/// by copying the cache directory of an engine whose uploads are held mid-way (journal and staging files are what
/// a kill leaves), and starting a second engine on the copy with the same store.
/// </summary>
[TestClass]
public sealed class LeftoverPartsTests
{
    private const int MiB = 1024 * 1024;
    private const long PartSize = 5 * MiB;
    private readonly List<string> _folders = [];

    public TestContext TestContext { get; set; } = null!;

    private CancellationToken Token => TestContext.CancellationTokenSource.Token;

    [TestCleanup]
    public void DeleteFolders()
    {
        foreach (var folder in _folders)
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [TestMethod]
    public async Task Parts_sent_while_a_file_was_written_are_discarded_after_a_crash()
    {
        var memory = new MemoryObjectStore();
        await using var held = new HeldStore(memory);
        var crashed = await StartAsync(held, streamUploads: true);
        var handle = await crashed.Engine.OpenAsync("/big.bin", OpenFlags.Write | OpenFlags.Create, Token);
        var data = Bytes(12 * MiB, 1);
        await handle.WriteAsync(0, data, Token);
        await WaitForAsync(() => held.PartsHeld > 0, "a part held");
        Assert.HasCount(1, memory.OpenPartUploads);

        await using var restarted = await RestartOnCopyAsync(crashed, memory);
        await restarted.Engine.WaitForUploadsAsync(null, Token);

        Assert.IsEmpty(memory.OpenPartUploads, "the parts the crash left are discarded");
        Assert.AreEqual(1, restarted.Engine.GetStatistics().LeftoverUploadsDiscarded);
        Assert.IsNull(await memory.HeadAsync("big.bin", Token), "a file never closed is not uploaded (it was never acknowledged)");
        await held.StopAsync(crashed);
    }

    [TestMethod]
    public async Task Parts_of_a_closed_file_uploading_at_the_crash_are_discarded_and_the_file_is_uploaded_again()
    {
        var memory = new MemoryObjectStore();
        await using var held = new HeldStore(memory);
        var crashed = await StartAsync(held, streamUploads: false);
        var data = Bytes(12 * MiB, 2);
        await using (var handle = await crashed.Engine.OpenAsync("/closed.bin", OpenFlags.Write | OpenFlags.Create, Token))
        {
            await handle.WriteAsync(0, data, Token);
        }

        await WaitForAsync(() => held.PartsHeld > 0, "a part held");
        var leftover = memory.OpenPartUploads.Single();

        await using var restarted = await RestartOnCopyAsync(crashed, memory);
        await restarted.Engine.WaitForUploadsAsync(null, Token);

        Assert.IsEmpty(memory.OpenPartUploads, $"upload {leftover.UploadId} is discarded, and the new one ended");
        CollectionAssert.AreEqual(data, await ReadStoreAsync(memory, "closed.bin"));
        Assert.AreEqual(1, restarted.Engine.GetStatistics().LeftoverUploadsDiscarded);
        await restarted.Engine.ShutdownAsync(null, Token);
        Assert.AreEqual(0, JournalBytes(restarted.Cache), "nothing is left in the journal");
        await held.StopAsync(crashed);
    }

    [TestMethod]
    public async Task A_leftover_the_store_cannot_discard_now_is_tried_again_at_the_next_start_and_one_it_never_can_is_forgotten()
    {
        var memory = new MemoryObjectStore();
        await using var held = new HeldStore(memory);
        var crashed = await StartAsync(held, streamUploads: false);
        await using (var handle = await crashed.Engine.OpenAsync("/f.bin", OpenFlags.Write | OpenFlags.Create, Token))
        {
            await handle.WriteAsync(0, Bytes(11 * MiB, 3), Token);
        }

        await WaitForAsync(() => held.PartsHeld > 0, "a part held");

        // A network failure: kept for the next start.
        var failing = new FailingAbortStore(memory, ObjectStoreErrorKind.Transient);
        var first = await RestartOnCopyAsync(crashed, failing);
        await first.Engine.WaitForUploadsAsync(null, Token);
        await first.DisposeAsync();
        Assert.AreEqual(1, failing.Attempts);
        Assert.HasCount(1, memory.OpenPartUploads);

        // A store without abort (s3rver): reported once, then forgotten.
        var refusing = new FailingAbortStore(memory, ObjectStoreErrorKind.NotSupported);
        var second = await RestartAsync(first.Cache, refusing);
        await second.Engine.WaitForUploadsAsync(null, Token);
        Assert.AreEqual(1, refusing.Attempts);
        StringAssert.Contains(string.Join("\n", second.Engine.GetStatistics().LastErrors), memory.OpenPartUploads.Single().UploadId);
        await second.DisposeAsync();

        var third = await RestartAsync(first.Cache, refusing);
        await third.Engine.WaitForUploadsAsync(null, Token);
        await third.DisposeAsync();
        Assert.AreEqual(1, refusing.Attempts, "not tried again");
        await held.StopAsync(crashed);
    }

    private async Task<Running> StartAsync(IObjectStore store, bool streamUploads)
    {
        var cache = Directory.CreateTempSubdirectory("bucketmount-leftover-").FullName;
        _folders.Add(cache);
        return await RestartAsync(cache, store, streamUploads);
    }

    /// <summary>What a kill leaves: the cache directory as it is now; the crashed engine goes on, held, unseen.</summary>
    private async Task<Running> RestartOnCopyAsync(Running crashed, IObjectStore store)
    {
        var copy = Directory.CreateTempSubdirectory("bucketmount-leftover-").FullName;
        _folders.Add(copy);
        foreach (var file in Directory.EnumerateFiles(crashed.Cache, "*", SearchOption.AllDirectories))
        {
            var relative = Path.GetRelativePath(crashed.Cache, file);
            if (relative != "lock")
            {
                Directory.CreateDirectory(Path.GetDirectoryName(Path.Combine(copy, relative))!);
                File.Copy(file, Path.Combine(copy, relative));
            }
        }

        return await RestartAsync(copy, store);
    }

    private static Task<Running> RestartAsync(string cache, IObjectStore store, bool streamUploads = true)
    {
        var engine = MountEngine.Start(store, new EngineOptions
        {
            CacheDirectory = cache,
            WriteBackDelay = TimeSpan.Zero,
            UploadPartSize = PartSize,
            StreamUploads = streamUploads,
            MemoryCacheBytes = 16L * MiB,
            DiskCacheBytes = 64L * MiB,
        });
        return Task.FromResult(new Running(engine, cache));
    }

    private static long JournalBytes(string cache) => Directory.GetFiles(Path.Combine(cache, "journal")).Sum(f => new FileInfo(f).Length);

    private static byte[] Bytes(int length, int seed)
    {
        var data = new byte[length];
        new Random(seed).NextBytes(data);
        return data;
    }

    private async Task<byte[]> ReadStoreAsync(IObjectStore store, string key)
    {
        using var buffer = new MemoryStream();
        await store.ReadToAsync(key, 0, null, buffer, null, Token);
        return buffer.ToArray();
    }

    private async Task WaitForAsync(Func<bool> done, string what)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (!done() && DateTime.UtcNow < deadline)
        {
            await Task.Delay(20, Token);
        }

        Assert.IsTrue(done(), $"waited 60 s for {what}");
    }

    private sealed record Running(MountEngine Engine, string Cache) : IAsyncDisposable
    {
        public ValueTask DisposeAsync() => Engine.DisposeAsync();
    }

    /// <summary>Holds every part after the first, and a whole upload's reads past its first part, until stopped.</summary>
    private sealed class HeldStore(IObjectStore inner) : ObjectStoreDecorator(inner)
    {
        private readonly CancellationTokenSource _stop = new();
        private int _held;

        public int PartsHeld => Volatile.Read(ref _held);

        public override Task<ObjectInfo> UploadAsync(string key, IUploadSource source, UploadOptions? options, CancellationToken cancellationToken) =>
            Inner.UploadAsync(key, new HeldSource(source, this), options, cancellationToken);

        public override async Task<IPartUpload?> BeginPartUploadAsync(string key, PutOptions options, CancellationToken cancellationToken) =>
            await Inner.BeginPartUploadAsync(key, options, cancellationToken) is { } upload ? new HeldParts(upload, this) : null;

        /// <summary>Ends the crashed engine: held calls fail, and its shutdown uploads nothing more.</summary>
        public async Task StopAsync(Running crashed)
        {
            await _stop.CancelAsync();
            try
            {
                await crashed.Engine.ShutdownAsync(null, new CancellationToken(canceled: true));
            }
            catch (OperationCanceledException)
            {
                // Asked to stop at once.
            }
        }

        public override async ValueTask DisposeAsync()
        {
            await _stop.CancelAsync();
            _stop.Dispose();
        }

        private async Task HoldAsync()
        {
            Interlocked.Increment(ref _held);
            await Task.Delay(Timeout.Infinite, _stop.Token);
        }

        private sealed class HeldParts(IPartUpload inner, HeldStore store) : PartUploadDecorator(inner)
        {
            public override async Task UploadPartAsync(int partNumber, IUploadSource source, long offset, long length, CancellationToken cancellationToken)
            {
                if (partNumber > 1)
                {
                    await store.HoldAsync();
                }

                await Inner.UploadPartAsync(partNumber, source, offset, length, cancellationToken);
            }
        }

        private sealed class HeldSource(IUploadSource inner, HeldStore store) : IUploadSource
        {
            public long Length => inner.Length;

            public async ValueTask<int> ReadAtAsync(long offset, Memory<byte> buffer, CancellationToken cancellationToken)
            {
                if (offset >= PartSize)
                {
                    await store.HoldAsync();
                }

                return await inner.ReadAtAsync(offset, buffer, cancellationToken);
            }

            public int ReadAt(long offset, Span<byte> buffer) => throw new NotSupportedException("the memory store reads asynchronously");
        }
    }

    /// <summary>A store whose abort by id always fails with one kind of error.</summary>
    private sealed class FailingAbortStore(IObjectStore inner, ObjectStoreErrorKind kind) : ObjectStoreDecorator(inner)
    {
        private int _attempts;

        public int Attempts => Volatile.Read(ref _attempts);

        public override Task AbortPartUploadAsync(string key, string uploadId, CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref _attempts);
            throw new ObjectStoreException(kind, "refused (test)", "failing", key);
        }
    }
}
