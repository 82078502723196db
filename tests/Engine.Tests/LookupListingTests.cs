using BucketMount.Backends;
using BucketMount.Backends.Decorators;
using BucketMount.Backends.Memory;

namespace BucketMount.Engine.Tests;

/// <summary>
/// Lookups of names a directory does not hold, as SQLite makes them right after creating a database: "tx.db", then
/// "tx.db-journal", then "tx.db-wal". Each used to wait for requests of its own, one round trip after another.
/// </summary>
[TestClass]
public sealed class LookupListingTests
{
    public TestContext TestContext { get; set; } = null!;

    private CancellationToken Token => TestContext.CancellationTokenSource.Token;

    [TestMethod]
    public async Task The_second_missing_name_of_a_directory_starts_its_listing_so_the_third_asks_for_nothing_of_its_own()
    {
        var inner = new MemoryObjectStore();
        await inner.PutAsync("db/notes.txt", new MemoryStream([1, 2, 3]), null, Token);
        var store = new LookupHeldUntilListingStore(inner, heldKey: "db/tx.db-journal", listedPrefix: "db/");
        await using var fx = new EngineFixture(store);

        await Assert.ThrowsAsync<FileSystemException>(() => fx.Engine.GetAttributesAsync("/db/tx.db", Token));
        await Assert.ThrowsAsync<FileSystemException>(() => fx.Engine.GetAttributesAsync("/db/tx.db-journal", Token));
        Assert.IsTrue(store.ListingAskedWhileHeld, "the directory's listing went out beside the second lookup, not after it");

        await store.ListingDone.WaitAsync(TimeSpan.FromSeconds(60), Token);
        var before = inner.Counters.Snapshot();
        await Assert.ThrowsAsync<FileSystemException>(() => fx.Engine.GetAttributesAsync("/db/tx.db-wal", Token));
        Assert.AreEqual(3L, (await fx.Engine.GetAttributesAsync("/db/notes.txt", Token)).Size);
        var third = inner.Counters.Snapshot().Since(before);
        Assert.AreEqual(0, third.Requests[RequestKind.List], "the third lookup is answered by the listing the second started");
        Assert.AreEqual(1, third.Requests[RequestKind.Head] + third.Requests[RequestKind.Get], "only the listed file's own attributes are asked for");
    }

    /// <summary>
    /// Holds the HEAD of <paramref name="heldKey"/> until a listing of <paramref name="listedPrefix"/> is asked for
    /// (bounded: 30 s, reached only when it never is), and records whether it was.
    /// </summary>
    private sealed class LookupHeldUntilListingStore(IObjectStore inner, string heldKey, string listedPrefix) : ObjectStoreDecorator(inner)
    {
        private readonly TaskCompletionSource _listingAsked = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly TaskCompletionSource _listingDone = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public bool ListingAskedWhileHeld { get; private set; }

        public Task ListingDone => _listingDone.Task;

        public override async Task<ObjectInfo?> HeadAsync(string key, CancellationToken cancellationToken)
        {
            if (key == heldKey)
            {
                await Task.WhenAny(_listingAsked.Task, Task.Delay(TimeSpan.FromSeconds(30), cancellationToken));
                ListingAskedWhileHeld = _listingAsked.Task.IsCompleted;
            }

            return await Inner.HeadAsync(key, cancellationToken);
        }

        public override IAsyncEnumerable<ListEntry> ListAsync(string prefix, string? delimiter, CancellationToken cancellationToken) =>
            Watch(prefix, Inner.ListAsync(prefix, delimiter, cancellationToken));

        public override IAsyncEnumerable<ListEntry> ListAsync(string prefix, string? delimiter, string? startAfter, CancellationToken cancellationToken) =>
            Watch(prefix, Inner.ListAsync(prefix, delimiter, startAfter, cancellationToken));

        private async IAsyncEnumerable<ListEntry> Watch(string prefix, IAsyncEnumerable<ListEntry> entries)
        {
            if (prefix == listedPrefix)
            {
                _listingAsked.TrySetResult();
            }

            await foreach (var entry in entries)
            {
                yield return entry;
            }

            if (prefix == listedPrefix)
            {
                _listingDone.TrySetResult();
            }
        }
    }
}
