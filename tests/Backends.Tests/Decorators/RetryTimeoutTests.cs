using BucketMount.Backends.Decorators;
using BucketMount.Backends.Memory;
using BucketMount.TestSupport;

namespace BucketMount.Backends.Tests.Decorators;

/// <summary>A store that accepts connections but never answers fails each request after bounded tries instead of holding its caller.</summary>
[TestClass]
public sealed class RetryTimeoutTests
{
    private static readonly RetryPolicy ShortTimeouts = new()
    {
        MaxAttempts = 6,
        BaseDelay = TimeSpan.FromMilliseconds(1),
        MaxDelay = TimeSpan.FromMilliseconds(2),
        MetadataAttemptTimeout = TimeSpan.FromMilliseconds(200),
        BodyStallTimeout = TimeSpan.FromMilliseconds(200),
        MaxTimedOutAttempts = 2,
    };

    // Far longer than the tries take; only reached when a request is not bounded at all.
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(60);

    public TestContext TestContext { get; set; } = null!;

    private CancellationToken Token => TestContext.CancellationTokenSource.Token;

    [TestMethod]
    public async Task A_head_the_store_never_answers_fails_as_transient_after_the_timed_out_tries()
    {
        var memory = new MemoryObjectStore();
        await memory.PutAsync("k", new MemoryStream([1, 2, 3]), null, Token);
        var faults = new FaultInjectingObjectStore(memory, new FaultOptions()) { Stalled = true };
        var store = new RetryingObjectStore(faults, ShortTimeouts);

        var error = await Assert.ThrowsExactlyAsync<ObjectStoreException>(() => store.HeadAsync("k", Token).WaitAsync(Bound, Token));

        Assert.AreEqual(ObjectStoreErrorKind.Transient, error.Kind);
        StringAssert.Contains(error.Message, "does not respond");
        Assert.AreEqual(1, store.Counters.Retries, "one retry after the first timed-out try, then the error");
    }

    [TestMethod]
    public async Task A_listing_page_the_store_never_answers_fails_instead_of_hanging()
    {
        var faults = new FaultInjectingObjectStore(new MemoryObjectStore(), new FaultOptions()) { Stalled = true };
        var store = new RetryingObjectStore(faults, ShortTimeouts);

        var error = await Assert.ThrowsExactlyAsync<ObjectStoreException>(async () =>
        {
            await foreach (var _ in store.ListAsync("", "/", Token).WithCancellation(Token))
            {
            }
        }).WaitAsync(Bound, Token);

        Assert.AreEqual(ObjectStoreErrorKind.Transient, error.Kind);
    }

    [TestMethod]
    public async Task A_head_answered_after_the_stall_lifts_succeeds_on_a_later_try()
    {
        var memory = new MemoryObjectStore();
        await memory.PutAsync("k", new MemoryStream([1, 2, 3]), null, Token);
        var faults = new FaultInjectingObjectStore(memory, new FaultOptions()) { Stalled = true };
        var store = new RetryingObjectStore(faults, ShortTimeouts with { MaxTimedOutAttempts = 100, MaxAttempts = 100 });

        var head = store.HeadAsync("k", Token);
        for (var i = 0; i < 600 && store.Counters.Retries == 0; i++)
        {
            await Task.Delay(50, Token);
        }

        Assert.IsTrue(store.Counters.Retries > 0, "the first try was abandoned");
        faults.Stalled = false;
        Assert.AreEqual(3, (await head.WaitAsync(Bound, Token))?.Size);
    }

    [TestMethod]
    public async Task A_put_the_store_takes_no_bytes_of_fails_after_the_stall_timeout_and_succeeds_once_it_answers()
    {
        var memory = new MemoryObjectStore();
        var faults = new FaultInjectingObjectStore(memory, new FaultOptions()) { Stalled = true };
        var store = new RetryingObjectStore(faults, ShortTimeouts);

        var error = await Assert.ThrowsExactlyAsync<ObjectStoreException>(() => store.PutAsync("p", new MemoryStream([1, 2]), null, Token).WaitAsync(Bound, Token));
        Assert.AreEqual(ObjectStoreErrorKind.Transient, error.Kind);
        StringAssert.Contains(error.Message, "no progress");

        faults.Stalled = false;
        Assert.AreEqual(2, (await store.PutAsync("p", new MemoryStream([1, 2]), null, Token)).Size);
    }

    [TestMethod]
    public async Task Retry_warnings_during_an_outage_are_one_line_per_kind_per_interval()
    {
        var faults = new FaultInjectingObjectStore(new MemoryObjectStore(), new FaultOptions()) { Unreachable = true };
        var log = new CountingLogger();
        var store = new RetryingObjectStore(faults, ShortTimeouts, log);

        for (var i = 0; i < 20; i++)
        {
            await Assert.ThrowsExactlyAsync<ObjectStoreException>(() => store.HeadAsync("k" + i, Token));
        }

        Assert.AreEqual(20 * 5, store.Counters.Retries, "every failed try was retried");
        Assert.AreEqual(1, log.Lines.Count, string.Join("\n", log.Lines));
    }
}
