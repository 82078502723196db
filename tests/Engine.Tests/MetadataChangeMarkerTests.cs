using System.Collections.Concurrent;
using BucketMount.Backends;
using BucketMount.Backends.Decorators;
using BucketMount.Backends.Memory;

namespace BucketMount.Engine.Tests;

/// <summary>
/// The engine remembers its own changes so that a store answer sent before a change is not cached over it. A full
/// metadata cache must not make it forget them: a deleted file would come back, a new one show ENOENT, for a TTL.
/// </summary>
[TestClass]
public sealed class MetadataChangeMarkerTests
{
    private const int Names = 50;

    public TestContext TestContext { get; set; } = null!;

    private CancellationToken Token => TestContext.CancellationTokenSource.Token;

    [TestMethod]
    public async Task A_full_metadata_cache_caches_no_answer_sent_before_our_own_create_or_delete()
    {
        var inner = new MemoryObjectStore();
        var held = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < Names; i++)
        {
            // One directory per name, so each lookup is a HEAD of its own rather than a listing of a shared parent.
            await inner.PutAsync($"gone{i}/x", new MemoryStream([1, 2, 3]), null, Token);
            await inner.PutAsync($"new{i}/keep", new MemoryStream([1]), null, Token);
            held.Add($"gone{i}/x");
            held.Add($"new{i}/y");
        }

        var store = new FirstHeadsHeldStore(inner, held);
        await using var fx = new EngineFixture(store, o => o with { MetadataTtl = TimeSpan.FromMinutes(5), MetadataCacheEntries = 100 });

        // Stats whose store answers (the file exists; the name is free) are on their way while we change each path.
        var staleLookups = new List<Task<NodeInfo?>>();
        for (var i = 0; i < Names; i++)
        {
            staleLookups.Add(fx.Engine.TryGetAttributesAsync($"/gone{i}/x", Token));
            staleLookups.Add(fx.Engine.TryGetAttributesAsync($"/new{i}/y", Token));
        }

        await store.WaitUntilHeldAsync(held.Count, Token);
        for (var i = 0; i < Names; i++)
        {
            await fx.Engine.DeleteFileAsync($"/gone{i}/x", Token);
            await fx.WriteFileAsync($"/new{i}/y", [4, 5, 6], Token);
        }

        // Delivered one by one, each into a cache that had a moment to compact since the last one.
        var pending = staleLookups.ToList();
        while (pending.Count > 0)
        {
            store.ReleaseOne();
            pending.Remove(await Task.WhenAny(pending).WaitAsync(TimeSpan.FromSeconds(60), Token));
        }

        await fx.Engine.WaitForUploadsAsync(null, Token);
        var stale = new List<string>();
        for (var i = 0; i < Names; i++)
        {
            if (await fx.Engine.TryGetAttributesAsync($"/gone{i}/x", Token) is not null)
            {
                stale.Add($"/gone{i}/x exists");
            }

            if (await fx.Engine.TryGetAttributesAsync($"/new{i}/y", Token) is not { Size: 3 })
            {
                stale.Add($"/new{i}/y missing");
            }
        }

        Assert.IsEmpty(stale, $"{stale.Count} of {2 * Names} answers were stale: {string.Join(", ", stale.Take(5))}");
    }

    [TestMethod]
    public async Task A_change_long_pushed_out_of_memory_still_refuses_an_answer_sent_before_it()
    {
        using var cache = new Namespace.MetadataCache(TimeSpan.FromMinutes(5), maxEntries: 100);
        var sentBeforeDelete = cache.Stamp();
        cache.OnRemoved("/a");
        for (var i = 0; i < 10_000; i++)
        {
            cache.OnChanged($"/other{i}", new NodeInfo($"other{i}", NodeKind.File, 1, DateTimeOffset.UnixEpoch));
        }

        // Offered again and again, so that it lands once the full cache has compacted, if it is taken at all.
        for (var attempt = 0; attempt < 200; attempt++)
        {
            cache.SetNodeFromStore("/a", new NodeInfo("a", NodeKind.File, 100, DateTimeOffset.UnixEpoch), sentBeforeDelete);
            Assert.IsFalse(cache.TryGetLastKnownNode("/a", out var a) && a is not null, $"the answer sent before the delete was cached (attempt {attempt})");
            await Task.Delay(5, Token);
        }
    }

    /// <summary>Holds the first HEAD of each given key, answering what the store said when it was sent, until released one at a time.</summary>
    private sealed class FirstHeadsHeldStore(IObjectStore inner, IReadOnlySet<string> keys) : ObjectStoreDecorator(inner)
    {
        private readonly ConcurrentDictionary<string, bool> _seen = new(StringComparer.Ordinal);
        private readonly SemaphoreSlim _release = new(0);
        private readonly SemaphoreSlim _held = new(0);

        public async Task WaitUntilHeldAsync(int count, CancellationToken cancellationToken)
        {
            for (var i = 0; i < count; i++)
            {
                Assert.IsTrue(await _held.WaitAsync(TimeSpan.FromSeconds(60), cancellationToken), $"only {i} of {count} lookups reached the store");
            }
        }

        public void ReleaseOne() => _release.Release();

        public override async Task<ObjectInfo?> HeadAsync(string key, CancellationToken cancellationToken)
        {
            var answer = await Inner.HeadAsync(key, cancellationToken);
            if (keys.Contains(key) && _seen.TryAdd(key, true))
            {
                _held.Release();
                await _release.WaitAsync(cancellationToken);
            }

            return answer;
        }
    }
}
