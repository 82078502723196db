using BucketMount.Backends;
using BucketMount.Backends.Decorators;
using BucketMount.Backends.Local;
using BucketMount.Backends.Memory;
using BucketMount.TestSupport;

namespace BucketMount.Engine.Tests;

/// <summary>
/// Seeded random sequences of file-system operations, run against the engine and against
/// <see cref="ReferenceModel"/>, compared after every step, then again after a remount with an empty cache.
/// A failure names the seed and the step so it can be replayed.
/// </summary>
public abstract class ReferenceModelTests
{
    public TestContext TestContext { get; set; } = null!;

    protected CancellationToken Token => TestContext.CancellationTokenSource.Token;

    protected abstract Task<IObjectStore> CreateStoreAsync();

    protected virtual int Steps => 1500;

    [TestMethod]
    [DataRow(1)]
    [DataRow(2)]
    [DataRow(3)]
    public async Task Random_operations_match_the_reference_model_before_and_after_a_remount(int seed)
    {
        var store = await CreateStoreAsync();
        await using var fx = new EngineFixture(store, o => o with { MetadataTtl = TimeSpan.FromMinutes(5) });
        var run = new ReferenceModelRun(fx, seed, Token);

        await run.RunAsync(Steps);
        await run.CloseAllAsync();
        await fx.Engine.WaitForUploadsAsync(null, Token);
        await fx.RemountAsync();
        await run.CompareAsync("after remount");

        Assert.IsGreaterThan(Steps / 2, run.Applied, "most random operations were valid and applied");
    }
}

[TestClass]
public sealed class MemoryStoreReferenceModelTests : ReferenceModelTests
{
    protected override Task<IObjectStore> CreateStoreAsync() => Task.FromResult<IObjectStore>(new MemoryObjectStore());
}

[TestClass]
public sealed class LocalStoreReferenceModelTests : ReferenceModelTests
{
    protected override int Steps => 400;

    protected override Task<IObjectStore> CreateStoreAsync() =>
        Task.FromResult<IObjectStore>(new LocalFolderStore(Directory.CreateTempSubdirectory("bucketmount-model-").FullName));
}

/// <summary>The same sequences through injected transient failures and latency: identical results, nothing lost.</summary>
[TestClass]
public sealed class FaultyStoreReferenceModelTests : ReferenceModelTests
{
    // Every store call waits (latency) and one in twenty fails first, so fewer steps keep the run short.
    protected override int Steps => 250;

    protected override Task<IObjectStore> CreateStoreAsync()
    {
        var faulty = new FaultInjectingObjectStore(new MemoryObjectStore(), new FaultOptions
        {
            TransientFailureRate = 0.05,
            Latency = TimeSpan.FromMilliseconds(1),
            Seed = 11,
        });
        return Task.FromResult<IObjectStore>(new RetryingObjectStore(faulty, new RetryPolicy { MaxAttempts = 30, BaseDelay = TimeSpan.FromMilliseconds(1), MaxDelay = TimeSpan.FromMilliseconds(4) }));
    }
}

/// <summary>The same sequences on s3rver over HTTP, behind the retry decorator as the CLI uses it.</summary>
[TestClass]
public sealed class S3rverReferenceModelTests : ReferenceModelTests
{
    protected override int Steps => 200;

    protected override async Task<IObjectStore> CreateStoreAsync() =>
        new RetryingObjectStore(await S3Buckets.CreateAsync(await Emulators.S3rver, S3Buckets.ForS3rver, CancellationToken.None));
}
