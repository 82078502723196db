using BucketMount.Backends.Decorators;
using BucketMount.Backends.Internal;
using BucketMount.Backends.Memory;

namespace BucketMount.Backends.Tests.Decorators;

/// <summary>Single deletes in parallel (stores without batch delete), with one more try for transient failures.</summary>
[TestClass]
public sealed class DeleteEachTests
{
    public TestContext TestContext { get; set; } = null!;

    private CancellationToken Token => TestContext.CancellationTokenSource.Token;

    private async Task<(MemoryObjectStore Memory, FaultInjectingObjectStore Faulty, List<string> Keys)> StoreWithKeysAsync(int count)
    {
        var memory = new MemoryObjectStore();
        var keys = Enumerable.Range(0, count).Select(i => $"dir/k{i}").ToList();
        foreach (var key in keys)
        {
            await memory.PutAsync(key, new MemoryStream([1]), null, Token);
        }

        return (memory, new FaultInjectingObjectStore(memory, new FaultOptions()), keys);
    }

    [TestMethod]
    public async Task Transient_failures_of_a_parallel_pass_are_tried_once_more_and_succeed()
    {
        var (memory, faulty, keys) = await StoreWithKeysAsync(40);
        faulty.FailNext(3, ObjectStoreErrorKind.Transient);

        var failures = await Transfers.DeleteEachAsync(faulty, keys, parallelism: 8, Token);

        Assert.IsEmpty(failures);
        Assert.AreEqual(0, memory.Count);
        Assert.AreEqual(3, faulty.InjectedFaults);
    }

    [TestMethod]
    public async Task Lasting_failures_are_reported_with_their_keys()
    {
        var (memory, faulty, keys) = await StoreWithKeysAsync(10);
        faulty.FailNext(1, ObjectStoreErrorKind.AccessDenied);

        var failures = await Transfers.DeleteEachAsync(faulty, keys, parallelism: 8, Token);

        Assert.HasCount(1, failures);
        Assert.AreEqual(ObjectStoreErrorKind.AccessDenied, failures[0].Error.Kind);
        Assert.AreEqual(1, memory.Count, "only the failed key is left");
        Assert.IsNotNull(await memory.HeadAsync(failures[0].Key, Token));
    }
}
