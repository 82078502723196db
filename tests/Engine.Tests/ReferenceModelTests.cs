using System.Diagnostics;
using System.Globalization;
using BucketMount.Backends;
using BucketMount.Backends.Decorators;
using BucketMount.Backends.Local;
using BucketMount.Backends.Memory;
using BucketMount.TestSupport;

namespace BucketMount.Engine.Tests;

/// <summary>
/// Seeded random sequences of file-system operations, run against the engine and against
/// <see cref="ReferenceModel"/>, compared after every step (and the store itself after every crash and at the end,
/// through a remount with an empty cache). A failure names the seed and the step and shows the last operations.
/// <para>
/// CI runs a fixed set of seeds per scenario. More: <c>BUCKETMOUNT_MODEL_SEEDS=200</c> (seeds 1..200 per scenario),
/// <c>BUCKETMOUNT_MODEL_STEPS=2000</c> (steps per seed), <c>BUCKETMOUNT_MODEL_SEED=1234</c> (replay that one seed),
/// e.g. <c>BUCKETMOUNT_MODEL_SEEDS=100 dotnet test tests/Engine.Tests --filter "FullyQualifiedName~ReferenceModel"</c>.
/// </para>
/// </summary>
public abstract class ReferenceModelTests
{
    public TestContext TestContext { get; set; } = null!;

    protected abstract ModelScenario Scenario { get; }

    /// <summary>Steps per seed in CI.</summary>
    protected abstract int Steps { get; }

    protected abstract Task<IObjectStore> CreateStoreAsync();

    /// <summary>The seeds CI runs (three per scenario), or what the environment asks for.</summary>
    public static IEnumerable<object[]> Seeds()
    {
        if (int.TryParse(Environment.GetEnvironmentVariable("BUCKETMOUNT_MODEL_SEED"), CultureInfo.InvariantCulture, out var one))
        {
            return [[one]];
        }

        var count = int.TryParse(Environment.GetEnvironmentVariable("BUCKETMOUNT_MODEL_SEEDS"), CultureInfo.InvariantCulture, out var n) ? n : 3;
        return Enumerable.Range(1, count).Select(s => new object[] { s });
    }

    [TestMethod]
    [DynamicData(nameof(Seeds))]
    public async Task Random_operations_match_the_reference_model(int seed)
    {
        var steps = int.TryParse(Environment.GetEnvironmentVariable("BUCKETMOUNT_MODEL_STEPS"), CultureInfo.InvariantCulture, out var s) ? s : Steps;
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(TestContext.CancellationTokenSource.Token);
        limit.CancelAfter(TimeSpan.FromMinutes(10));
        var token = limit.Token;
        var clock = Stopwatch.StartNew();
        await using var host = new ModelEngineHost(await CreateStoreAsync(), Scenario, seed);
        var run = new ReferenceModelRun(host, Scenario, seed, token);
        try
        {
            await run.RunAsync(steps);
            await run.CloseAllAsync();
            await host.Engine.WaitForUploadsAsync(null, token);
            await run.AssertNothingRegisteredAsync("at the end");
            await run.CompareStoreAsync("at the end");
            await host.RemountEmptyAsync(token);
            run.ForgetModes();
            await run.CompareAsync("after a remount with an empty cache", full: true);
        }
        catch (Exception e) when (e is AssertFailedException or FileSystemException or ObjectStoreException or InvalidOperationException or IOException)
        {
            throw new AssertFailedException($"seed {seed}: {e.Message}\n{await run.DescribeAsync()}", e);
        }

        TestContext.WriteLine($"seed {seed}: {run.Applied} of {steps} steps applied in {clock.Elapsed.TotalSeconds:F1} s, {host.Crashes} crashes, {host.InjectedFaults} injected faults; " +
            string.Join(", ", run.Counts.OrderBy(c => c.Key, StringComparer.Ordinal).Select(c => $"{c.Key} {c.Value}")));
        Assert.IsGreaterThan(steps / 2, run.Applied, "most random operations were valid and applied");
    }
}

/// <summary>Memory store with lost responses, transient errors and throttling, crash points, and files past the multipart threshold.</summary>
[TestClass]
public sealed class FaultyStoreReferenceModelTests : ReferenceModelTests
{
    protected override ModelScenario Scenario { get; } = new() { Faults = true, Crashes = true, BigFiles = true, WriteBackDelay = TimeSpan.FromMilliseconds(300) };

    protected override int Steps => 300;

    protected override Task<IObjectStore> CreateStoreAsync() => Task.FromResult<IObjectStore>(new MemoryObjectStore());
}

/// <summary>Memory store that someone else writes too (metadata TTL 0), last writer wins, uploads delayed a little after close.</summary>
[TestClass]
public sealed class OutsideWriterReferenceModelTests : ReferenceModelTests
{
    protected override ModelScenario Scenario { get; } = new() { OutsideWriter = true, WriteBackDelay = TimeSpan.FromMilliseconds(20) };

    protected override int Steps => 250;

    // Copies are new versions with ETags of their own, as on Azure: renames and chmods must remember the copy's.
    protected override Task<IObjectStore> CreateStoreAsync() => Task.FromResult<IObjectStore>(new MemoryObjectStore { CopiesGetNewETags = true });
}

/// <summary>The same with --conflict KeepBoth: theirs keeps the name, ours goes beside it.</summary>
[TestClass]
public sealed class KeepBothReferenceModelTests : ReferenceModelTests
{
    protected override ModelScenario Scenario { get; } = new() { OutsideWriter = true, Conflicts = ConflictPolicy.KeepBoth, WriteBackDelay = TimeSpan.FromMilliseconds(20), Faults = true };

    protected override int Steps => 200;

    protected override Task<IObjectStore> CreateStoreAsync() => Task.FromResult<IObjectStore>(new MemoryObjectStore());
}

/// <summary>The local-folder store, with crash points.</summary>
[TestClass]
public sealed class LocalStoreReferenceModelTests : ReferenceModelTests
{
    // Closed files wait a second for their upload, so crashes and rewrites find them still in the journal.
    protected override ModelScenario Scenario { get; } = new() { Crashes = true, WriteBackDelay = TimeSpan.FromSeconds(1) };

    protected override int Steps => 250;

    protected override Task<IObjectStore> CreateStoreAsync() =>
        Task.FromResult<IObjectStore>(new LocalFolderStore(Directory.CreateTempSubdirectory("bucketmount-model-store-").FullName));
}

/// <summary>s3rver over HTTP, behind the retry decorator as the CLI uses it.</summary>
[TestClass]
public sealed class S3rverReferenceModelTests : ReferenceModelTests
{
    protected override ModelScenario Scenario { get; } = new();

    protected override int Steps => 150;

    protected override async Task<IObjectStore> CreateStoreAsync() =>
        new RetryingObjectStore(await S3Buckets.CreateAsync(await Emulators.S3rver, S3Buckets.ForS3rver, CancellationToken.None));
}
