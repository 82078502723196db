using BucketMount.Backends.Decorators;
using BucketMount.Backends.Memory;
using BucketMount.Backends.Tests.Contract;

namespace BucketMount.Backends.Tests.Decorators;

/// <summary>The whole contract through a prefix: callers must not see that their keys live below one.</summary>
[TestClass]
public sealed class PrefixedMemoryContractTests : ObjectStoreContractTests
{
    protected override async Task<IObjectStore> CreateStoreAsync(CancellationToken cancellationToken)
    {
        var inner = new MemoryObjectStore();

        // A neighbour outside the prefix that must never show up.
        await PutBytesAsync(inner, "outside/neighbour.txt", Utf8("not yours"), cancellationToken: cancellationToken);
        await PutBytesAsync(inner, "tenant-a-sibling", Utf8("not yours either"), cancellationToken: cancellationToken);
        return new PrefixedObjectStore(inner, "tenant-a/");
    }
}

/// <summary>
/// The whole contract through injected transient faults (one call in ten fails before reaching the store) and
/// retries: every result must be identical to the clean store's. A listing that fails restarts from the
/// beginning (skipping what it yielded), so its tries are many: each restart must pass every checkpoint again.
/// </summary>
[TestClass]
public sealed class FaultyButRetriedMemoryContractTests : ObjectStoreContractTests
{
    protected override Task<IObjectStore> CreateStoreAsync(CancellationToken cancellationToken)
    {
        var faulty = new FaultInjectingObjectStore(new MemoryObjectStore(), new FaultOptions { TransientFailureRate = 0.1, Seed = 42 });
        var policy = new RetryPolicy { MaxAttempts = 40, BaseDelay = TimeSpan.FromMilliseconds(1), MaxDelay = TimeSpan.FromMilliseconds(5) };
        return Task.FromResult<IObjectStore>(new RetryingObjectStore(faulty, policy));
    }
}
