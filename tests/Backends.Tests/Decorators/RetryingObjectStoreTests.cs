using BucketMount.Backends.Decorators;
using BucketMount.Backends.Memory;

namespace BucketMount.Backends.Tests.Decorators;

[TestClass]
public sealed class RetryingObjectStoreTests
{
    private static readonly RetryPolicy FastPolicy = new() { MaxAttempts = 4, BaseDelay = TimeSpan.FromMilliseconds(1), MaxDelay = TimeSpan.FromMilliseconds(2) };

    public TestContext TestContext { get; set; } = null!;

    private CancellationToken Token => TestContext.CancellationTokenSource.Token;

    private static async Task<(MemoryObjectStore Memory, FaultInjectingObjectStore Faults, RetryingObjectStore Store)> CreateAsync()
    {
        var memory = new MemoryObjectStore();
        await memory.PutAsync("k", new MemoryStream(new byte[] { 1, 2, 3 }), null, CancellationToken.None);
        var faults = new FaultInjectingObjectStore(memory, new FaultOptions());
        return (memory, faults, new RetryingObjectStore(faults, FastPolicy));
    }

    [TestMethod]
    [DataRow(ObjectStoreErrorKind.Transient)]
    [DataRow(ObjectStoreErrorKind.Throttled)]
    public async Task Transient_and_throttled_failures_are_retried_until_the_call_succeeds(ObjectStoreErrorKind kind)
    {
        var (_, faults, store) = await CreateAsync();
        faults.FailNext(3, kind);

        var head = await store.HeadAsync("k", Token);

        Assert.AreEqual(3, head?.Size);
        Assert.AreEqual(3, faults.InjectedFaults);
        Assert.AreEqual(3, store.Counters.Retries);
    }

    [TestMethod]
    public async Task Retries_are_bounded_and_the_last_error_is_thrown()
    {
        var (_, faults, store) = await CreateAsync();
        faults.FailNext(10, ObjectStoreErrorKind.Transient);

        var error = await Assert.ThrowsExactlyAsync<ObjectStoreException>(() => store.HeadAsync("k", Token));

        Assert.AreEqual(ObjectStoreErrorKind.Transient, error.Kind);
        Assert.AreEqual(FastPolicy.MaxAttempts, faults.InjectedFaults);
    }

    [TestMethod]
    [DataRow(ObjectStoreErrorKind.NotFound)]
    [DataRow(ObjectStoreErrorKind.AccessDenied)]
    [DataRow(ObjectStoreErrorKind.PreconditionFailed)]
    [DataRow(ObjectStoreErrorKind.InvalidArgument)]
    public async Task Client_errors_are_not_retried(ObjectStoreErrorKind kind)
    {
        var (_, faults, store) = await CreateAsync();
        faults.FailNext(2, kind);

        var error = await Assert.ThrowsExactlyAsync<ObjectStoreException>(() => store.HeadAsync("k", Token));

        Assert.AreEqual(kind, error.Kind);
        Assert.AreEqual(1, faults.InjectedFaults);
        Assert.AreEqual(0, store.Counters.Retries);
    }

    [TestMethod]
    public async Task A_real_not_found_from_the_store_is_not_retried()
    {
        var (memory, _, store) = await CreateAsync();
        var before = memory.Counters.Snapshot();

        var error = await Assert.ThrowsExactlyAsync<ObjectStoreException>(() => store.ReadAsync("missing", 0, new byte[4], null, Token));

        Assert.AreEqual(ObjectStoreErrorKind.NotFound, error.Kind);
        Assert.AreEqual(0, store.Counters.Snapshot().Since(before).Retries);
    }

    [TestMethod]
    public async Task A_retried_put_sends_the_whole_seekable_stream_again()
    {
        var (memory, faults, store) = await CreateAsync();
        var data = new byte[50_000];
        new Random(1).NextBytes(data);
        using var stream = new MemoryStream(data);
        faults.FailNext(1, ObjectStoreErrorKind.Transient);

        await store.PutAsync("p", stream, null, Token);

        using var back = new MemoryStream();
        await memory.ReadToAsync("p", 0, null, back, null, Token);
        CollectionAssert.AreEqual(data, back.ToArray());
    }

    [TestMethod]
    public async Task A_listing_that_fails_midway_resumes_without_repeating_or_losing_entries()
    {
        var memory = new MemoryObjectStore();
        var keys = Enumerable.Range(0, 1000).Select(i => $"f{i:D4}").ToList();
        foreach (var key in keys)
        {
            await memory.PutAsync(key, new MemoryStream([1]), null, Token);
        }

        // Fails at about one checkpoint (every hundred entries) in ten, seeded, so the run is repeatable.
        var faults = new FaultInjectingObjectStore(memory, new FaultOptions { TransientFailureRate = 0.1, Seed = 7 });
        var store = new RetryingObjectStore(faults, FastPolicy with { MaxAttempts = 50 });

        var listed = new List<string>();
        await foreach (var entry in store.ListAsync("", null, Token))
        {
            listed.Add(entry.Key);
        }

        CollectionAssert.AreEqual(keys, listed);
        Assert.IsGreaterThan(0, faults.InjectedFaults, "the listing was interrupted at least once");
    }

    [TestMethod]
    public async Task A_delete_that_failed_for_good_is_still_reported_after_the_transient_ones_were_retried()
    {
        var memory = new MemoryObjectStore();
        foreach (var key in new[] { "a", "b", "c" })
        {
            await memory.PutAsync(key, new MemoryStream([1]), null, Token);
        }

        var store = new RetryingObjectStore(new FirstBatchFailsStore(memory), FastPolicy);

        var failures = await store.DeleteManyAsync(["a", "b", "c"], Token);

        Assert.HasCount(1, failures, "a's lasting failure, from the first attempt");
        Assert.AreEqual("a", failures[0].Key);
        Assert.AreEqual(ObjectStoreErrorKind.AccessDenied, failures[0].Error.Kind);
        Assert.IsNull(await memory.HeadAsync("b", Token), "b's transient failure was retried");
        Assert.IsNull(await memory.HeadAsync("c", Token));
    }

    /// <summary>The first batch delete fails "a" for good and "b" for now; later batches go through.</summary>
    private sealed class FirstBatchFailsStore(IObjectStore inner) : ObjectStoreDecorator(inner)
    {
        private int _calls;

        public override async Task<IReadOnlyList<DeleteFailure>> DeleteManyAsync(IReadOnlyList<string> keys, CancellationToken cancellationToken)
        {
            if (Interlocked.Increment(ref _calls) > 1)
            {
                return await Inner.DeleteManyAsync(keys, cancellationToken);
            }

            await Inner.DeleteManyAsync(keys.Where(k => k is not ("a" or "b")).ToList(), cancellationToken);
            return
            [
                new DeleteFailure("a", new ObjectStoreException(ObjectStoreErrorKind.AccessDenied, "denied by the test", null, "a")),
                new DeleteFailure("b", new ObjectStoreException(ObjectStoreErrorKind.Transient, "busy, says the test", null, "b")),
            ];
        }
    }
}
