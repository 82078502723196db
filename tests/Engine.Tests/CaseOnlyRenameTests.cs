using BucketMount.Backends;
using BucketMount.Backends.Decorators;
using BucketMount.Backends.Memory;

namespace BucketMount.Engine.Tests;

/// <summary>
/// A case-only rename ("a.txt" to "A.txt") on a store whose keys fold case (a local folder on NTFS or APFS, where
/// both names are one file): copying to the new spelling and deleting the old one deleted the file itself. Here a
/// memory store behind a decorator that folds every key to lower case plays that file system.
/// </summary>
[TestClass]
public sealed class CaseOnlyRenameTests
{
    public TestContext TestContext { get; set; } = null!;

    private CancellationToken Token => TestContext.CancellationTokenSource.Token;

    [TestMethod]
    public async Task A_case_only_rename_of_an_uploaded_file_keeps_its_bytes()
    {
        var store = new CaseFoldingStore(new MemoryObjectStore());
        await using var fx = new EngineFixture(store);
        await fx.WriteFileAsync("/report.txt", [1, 2, 3, 4], Token);
        await fx.Engine.WaitForUploadsAsync(null, Token);

        await fx.Engine.RenameAsync("/report.txt", "/REPORT.TXT", noReplace: false, Token);
        await fx.Engine.WaitForUploadsAsync(null, Token);
        await fx.RemountAsync();

        CollectionAssert.AreEqual(new byte[] { 1, 2, 3, 4 }, await fx.ReadFileAsync("/REPORT.TXT", Token), "the file is still in the store");
    }

    [TestMethod]
    public async Task A_case_only_rename_of_a_directory_keeps_every_file_below_it()
    {
        var store = new CaseFoldingStore(new MemoryObjectStore());
        await using var fx = new EngineFixture(store);
        await fx.Engine.CreateDirectoryAsync("/docs", Token);
        await fx.WriteFileAsync("/docs/a", [5], Token);
        await fx.WriteFileAsync("/docs/b", [6, 7], Token);
        await fx.Engine.WaitForUploadsAsync(null, Token);

        await fx.Engine.RenameAsync("/docs", "/Docs", noReplace: false, Token);
        await fx.Engine.WaitForUploadsAsync(null, Token);
        await fx.RemountAsync();

        CollectionAssert.AreEqual(new byte[] { 5 }, await fx.ReadFileAsync("/Docs/a", Token));
        CollectionAssert.AreEqual(new byte[] { 6, 7 }, await fx.ReadFileAsync("/Docs/b", Token));
        Assert.IsFalse((await fx.Engine.ListDirectoryAsync("/", Token)).Any(n => n.Name.StartsWith(".bucketmount-case-", StringComparison.Ordinal)),
            "the name the rename went through is gone");
    }

    /// <summary>Every key folded to lower case, as a case-insensitive file system stores them.</summary>
    private sealed class CaseFoldingStore(IObjectStore inner) : ObjectStoreDecorator(inner)
    {
        public override StoreCapabilities Capabilities => Inner.Capabilities with { CaseInsensitiveKeys = true };

        public override Task<ObjectInfo?> HeadAsync(string key, CancellationToken cancellationToken) => Inner.HeadAsync(Fold(key), cancellationToken);

        public override Task<SmallObject?> GetSmallAsync(string key, int maxBytes, CancellationToken cancellationToken) =>
            Inner.GetSmallAsync(Fold(key), maxBytes, cancellationToken);

        public override IAsyncEnumerable<ListEntry> ListAsync(string prefix, string? delimiter, CancellationToken cancellationToken) =>
            Inner.ListAsync(Fold(prefix), delimiter, cancellationToken);

        public override IAsyncEnumerable<ListEntry> ListAsync(string prefix, string? delimiter, string? startAfter, CancellationToken cancellationToken) =>
            Inner.ListAsync(Fold(prefix), delimiter, startAfter is null ? null : Fold(startAfter), cancellationToken);

        public override Task<int> ReadAsync(string key, long offset, Memory<byte> buffer, ReadOptions? options, CancellationToken cancellationToken) =>
            Inner.ReadAsync(Fold(key), offset, buffer, options, cancellationToken);

        public override Task<long> ReadToAsync(string key, long offset, long? length, Stream destination, ReadOptions? options, CancellationToken cancellationToken) =>
            Inner.ReadToAsync(Fold(key), offset, length, destination, options, cancellationToken);

        public override Task<ObjectInfo> PutAsync(string key, Stream content, PutOptions? options, CancellationToken cancellationToken) =>
            Inner.PutAsync(Fold(key), content, options, cancellationToken);

        public override Task<ObjectInfo> UploadAsync(string key, IUploadSource source, UploadOptions? options, CancellationToken cancellationToken) =>
            Inner.UploadAsync(Fold(key), source, options, cancellationToken);

        public override Task<IPartUpload?> BeginPartUploadAsync(string key, PutOptions options, CancellationToken cancellationToken) =>
            Inner.BeginPartUploadAsync(Fold(key), options, cancellationToken);

        public override Task<ObjectInfo> CopyAsync(string sourceKey, string destinationKey, CopyOptions? options, CancellationToken cancellationToken) =>
            Inner.CopyAsync(Fold(sourceKey), Fold(destinationKey), options, cancellationToken);

        public override Task DeleteAsync(string key, CancellationToken cancellationToken) => Inner.DeleteAsync(Fold(key), cancellationToken);

        public override Task<IReadOnlyList<DeleteFailure>> DeleteManyAsync(IReadOnlyList<string> keys, CancellationToken cancellationToken) =>
            Inner.DeleteManyAsync([.. keys.Select(Fold)], cancellationToken);

        private static string Fold(string key) => key.ToLowerInvariant();
    }
}
