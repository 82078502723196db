using BucketMount.Backends;
using BucketMount.Backends.Decorators;
using BucketMount.Backends.Memory;

namespace BucketMount.Engine.Tests;

/// <summary>
/// A listing asks the store for a subdirectory's marker (its mode, owner, times) at most once: the metadata index's
/// path and the path that fills in directories nobody described both HEADed it when the metadata cache keeps nothing
/// (--metadata-ttl 0) to tell the second that the first had asked.
/// </summary>
[TestClass]
public sealed class MarkerHeadOnceTests
{
    public TestContext TestContext { get; set; } = null!;

    private CancellationToken Token => TestContext.CancellationTokenSource.Token;

    [TestMethod]
    [DataRow(0, DisplayName = "metadata TTL 0")]
    [DataRow(60, DisplayName = "metadata TTL 60 s")]
    public async Task A_listing_heads_a_subdirectory_marker_the_index_does_not_know_once(int ttlSeconds)
    {
        var memory = new MemoryObjectStore();
        var store = new HeadRecorder(memory);
        // The index of p/ is written a second after its last change, so the remount below trusts it.
        await using var fx = new EngineFixture(store, o => o with { IndexSettle = TimeSpan.FromSeconds(1.1), MetadataTtl = TimeSpan.FromSeconds(ttlSeconds) });
        await fx.Engine.CreateDirectoryAsync("/p", Token);
        await fx.WriteFileAsync("/p/f", [1], Token);
        await fx.Engine.WaitForUploadsAsync(null, Token);

        // Another tool adds a private subdirectory the index does not know.
        await memory.PutAsync("p/sub/", Stream.Null, new PutOptions { Metadata = new Dictionary<string, string> { ["mode"] = "16832" } }, Token);
        await memory.PutAsync("p/sub/x", new MemoryStream([1]), null, Token);
        await fx.RemountAsync(keepCache: false);
        store.Heads.Clear();

        var listed = (await fx.Engine.ListDirectoryAsync("/p", Token)).ToDictionary(n => n.Name);

        Assert.AreEqual(0x4000 | 0x1C0, listed["sub"].Mode, "the marker's mode is shown");
        Assert.AreEqual(1, store.Heads.Count(k => k == "p/sub/"), "one HEAD of the marker; asked: " + string.Join(", ", store.Heads));
    }

    private sealed class HeadRecorder(IObjectStore inner) : ObjectStoreDecorator(inner)
    {
        public System.Collections.Concurrent.ConcurrentQueue<string> Heads { get; } = new();

        public override Task<ObjectInfo?> HeadAsync(string key, CancellationToken cancellationToken)
        {
            Heads.Enqueue(key);
            return base.HeadAsync(key, cancellationToken);
        }
    }
}
