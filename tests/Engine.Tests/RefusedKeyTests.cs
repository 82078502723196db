using BucketMount.Backends;
using BucketMount.Backends.Decorators;
using BucketMount.Backends.Memory;

namespace BucketMount.Engine.Tests;

/// <summary>
/// A store that fails every upload of one key while it answers everything else: s3rver drops the connection on a
/// key with a 255-byte segment, a real store can answer 400 KeyTooLong or InvalidArgument for a name it will never
/// take. Retrying such a file is bounded: the drain (unmount, flush) ends and names it, the other files upload, the
/// file's bytes stay in the cache's journal (a later mount on a store that takes it uploads them), and an fsync of
/// it reports the reason in the file system's words.
/// </summary>
[TestClass]
public sealed class RefusedKeyTests
{
    // Far above what the conditions take with the fix (seconds); without it the drain never ends.
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(90);

    public TestContext TestContext { get; set; } = null!;

    private CancellationToken Token => TestContext.CancellationTokenSource.Token;

    [TestMethod]
    [DataRow(ObjectStoreErrorKind.Transient, DisplayName = "the connection drops on that key (s3rver)")]
    [DataRow(ObjectStoreErrorKind.KeyTooLong, DisplayName = "400 KeyTooLong")]
    public async Task A_key_the_store_never_takes_ends_the_drain_naming_the_file_and_keeps_its_bytes(ObjectStoreErrorKind kind)
    {
        var memory = new MemoryObjectStore();
        var store = new OneKeyFailingStore(memory, "stuck.txt", kind);
        await using var fx = new EngineFixture(store, o => o with { WriteBackDelay = TimeSpan.FromHours(1) });
        await fx.WriteFileAsync("/stuck.txt", "kept bytes"u8.ToArray(), Token);
        await fx.WriteFileAsync("/fine.txt", "fine"u8.ToArray(), Token);

        var drain = await Assert.ThrowsExactlyAsync<FileSystemException>(() => fx.Engine.WaitForUploadsAsync(null, Token).WaitAsync(Bound, Token));

        StringAssert.Contains(drain.Message, "/stuck.txt");
        StringAssert.Contains(drain.Message, "journal in " + fx.CacheDirectory, "says where the bytes stay");
        Assert.AreEqual(4, (await memory.HeadAsync("fine.txt", Token))?.Size, "the other file was uploaded");
        Assert.IsNull(await memory.HeadAsync("stuck.txt", Token));

        // Unmount ends too (it would wait forever before), saying the same; a mount on a store that takes the name
        // uploads the bytes kept in the cache.
        var unmount = await Assert.ThrowsExactlyAsync<FileSystemException>(() => fx.Engine.ShutdownAsync(null, Token).WaitAsync(Bound, Token));
        StringAssert.Contains(unmount.Message, "/stuck.txt");
        store.Failing = false;
        await fx.RemountAsync(keepCache: true);
        await fx.Engine.WaitForUploadsAsync(null, Token).WaitAsync(Bound, Token);
        Assert.AreEqual("kept bytes", System.Text.Encoding.UTF8.GetString(await fx.ReadFileAsync("/stuck.txt", Token)));
        Assert.AreEqual(10, (await memory.HeadAsync("stuck.txt", Token))?.Size);
    }

    [TestMethod]
    public async Task An_fsync_of_a_file_whose_name_the_store_refuses_as_too_long_says_ENAMETOOLONG()
    {
        var store = new OneKeyFailingStore(new MemoryObjectStore(), "long.txt", ObjectStoreErrorKind.KeyTooLong);
        await using var fx = new EngineFixture(store);
        var handle = await fx.Engine.OpenAsync("/long.txt", OpenFlags.Write | OpenFlags.Create, Token);
        await handle.WriteAsync(0, "x"u8.ToArray(), Token);

        var error = await Assert.ThrowsExactlyAsync<FileSystemException>(() => handle.SyncAsync(Token).WaitAsync(Bound, Token));

        store.Failing = false;
        await handle.ReleaseAsync(Token);
        await fx.Engine.ShutdownAsync(null, Token).WaitAsync(Bound, Token);
        Assert.AreEqual(FsError.NameTooLong, error.Error, error.Message);
    }

    /// <summary>Fails every write of one key with <paramref name="kind"/> while <see cref="Failing"/>; everything else passes.</summary>
    private sealed class OneKeyFailingStore(IObjectStore inner, string key, ObjectStoreErrorKind kind) : ObjectStoreDecorator(inner)
    {
        public volatile bool Failing = true;

        public override Task<ObjectInfo> PutAsync(string k, Stream content, PutOptions? options, CancellationToken cancellationToken) =>
            Refuse(k) ?? base.PutAsync(k, content, options, cancellationToken);

        public override Task<ObjectInfo> UploadAsync(string k, IUploadSource source, UploadOptions? options, CancellationToken cancellationToken) =>
            Refuse(k) ?? base.UploadAsync(k, source, options, cancellationToken);

        public override Task<IPartUpload?> BeginPartUploadAsync(string k, PutOptions options, CancellationToken cancellationToken) =>
            k == key && Failing ? Task.FromException<IPartUpload?>(Error(k)) : base.BeginPartUploadAsync(k, options, cancellationToken);

        public override Task<ObjectInfo> CopyAsync(string sourceKey, string destinationKey, CopyOptions? options, CancellationToken cancellationToken) =>
            Refuse(destinationKey) ?? base.CopyAsync(sourceKey, destinationKey, options, cancellationToken);

        private Task<ObjectInfo>? Refuse(string k) => k == key && Failing ? Task.FromException<ObjectInfo>(Error(k)) : null;

        private ObjectStoreException Error(string k) => new(kind, kind == ObjectStoreErrorKind.Transient
            ? "the connection was closed before the answer (test)" : "the store refused this key (test)", "test-store", k);
    }
}
