using BucketMount.Backends;
using BucketMount.Backends.Decorators;
using BucketMount.Backends.Memory;

namespace BucketMount.Engine.Tests;

/// <summary>
/// A store answer that was on its way while the engine changed the same path must not be cached over what the
/// change recorded: it would show for the whole metadata TTL (a deleted file coming back in stat).
/// </summary>
[TestClass]
public sealed class StaleLookupTests
{
    public TestContext TestContext { get; set; } = null!;

    private CancellationToken Token => TestContext.CancellationTokenSource.Token;

    [TestMethod]
    public async Task A_lookup_answered_before_a_delete_does_not_bring_the_deleted_file_back()
    {
        var inner = new MemoryObjectStore();
        await inner.PutAsync("x", new MemoryStream(new byte[100]), null, Token);
        var store = new FirstHeadHeldStore(inner, "x");
        await using var fx = new EngineFixture(store, o => o with { MetadataTtl = TimeSpan.FromMinutes(5) });

        // A stat of /x asks the store, which answers "100 bytes" but is slow to deliver it.
        var staleLookup = fx.Engine.GetAttributesAsync("/x", Token);
        await store.HeadHeld.Task.WaitAsync(TimeSpan.FromSeconds(30), Token);

        await fx.Engine.DeleteFileAsync("/x", Token);
        store.Release();
        Assert.AreEqual(100, (await staleLookup).Size, "the slow answer itself is what the store said when asked");

        Assert.IsNull(await fx.Engine.TryGetAttributesAsync("/x", Token), "the delete, not the stale answer, decides later stats");
    }

    /// <summary>Holds the first HEAD of one key until released, then answers what the store said when it was sent.</summary>
    private sealed class FirstHeadHeldStore(IObjectStore inner, string key) : ObjectStoreDecorator(inner)
    {
        private readonly TaskCompletionSource _release = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private int _heads;

        public TaskCompletionSource HeadHeld { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public void Release() => _release.TrySetResult();

        public override async Task<ObjectInfo?> HeadAsync(string headKey, CancellationToken cancellationToken)
        {
            var answer = await Inner.HeadAsync(headKey, cancellationToken);
            if (headKey == key && Interlocked.Increment(ref _heads) == 1)
            {
                HeadHeld.TrySetResult();
                await _release.Task.WaitAsync(cancellationToken);
            }

            return answer;
        }
    }
}
