using BucketMount.Backends;
using BucketMount.Backends.Decorators;
using BucketMount.Backends.Memory;

namespace BucketMount.Engine.Tests;

/// <summary>
/// A close that cannot make the file durable, because the ranges it never wrote cannot be fetched while the store is
/// away, reports the failure and still schedules the upload: the write-back fetches, journals and uploads once the
/// store answers, without an fsync or an unmount to push it. Verdicts wait for a condition with a bound.
/// </summary>
[TestClass]
public sealed class CloseFillFailureTests
{
    private const int MiB = 1024 * 1024;

    // Far above what the condition takes with the fix (a retry pause of a few seconds); without it, never.
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(60);

    public TestContext TestContext { get; set; } = null!;

    private CancellationToken Token => TestContext.CancellationTokenSource.Token;

    [TestMethod]
    public async Task A_close_whose_fetch_of_missing_ranges_fails_is_uploaded_once_the_store_answers()
    {
        var memory = new MemoryObjectStore();
        var original = new byte[3 * MiB];
        new Random(3).NextBytes(original);
        await memory.UploadAsync("big.bin", new MemoryUploadSource(original), null, Token);
        var faulty = new FaultInjectingObjectStore(memory, new FaultOptions());
        await using var fx = new EngineFixture(faulty);

        // A small change at the start: the rest of the file is only in the store, and close must fetch it.
        var patch = "changed while the store was away"u8.ToArray();
        var handle = await fx.Engine.OpenAsync("/big.bin", OpenFlags.Write, Token);
        await handle.WriteAsync(0, patch, Token);
        faulty.Unreachable = true;

        var error = await Assert.ThrowsAsync<FileSystemException>(() => handle.ReleaseAsync(Token), "close says the file could not be kept");
        Assert.AreEqual(FsError.Unavailable, error.Error, "the store was away (EIO through FUSE): " + error.Message);
        Assert.AreEqual(0, fx.Engine.GetStatistics().UploadsDone, "nothing uploaded while the store was away");

        faulty.Unreachable = false;
        var expected = original.ToArray();
        patch.CopyTo(expected, 0);
        var deadline = DateTime.UtcNow + Bound;
        while (!await StoredEqualsAsync(memory, "big.bin", expected))
        {
            if (DateTime.UtcNow > deadline)
            {
                Assert.Fail($"the change never reached the store within {Bound.TotalSeconds} s of its return (close failed with: {error.Message})");
            }

            await Task.Delay(50, Token);
        }

        Assert.AreEqual(0, fx.Engine.GetStatistics().DirtyFiles, "nothing left pending");
        CollectionAssert.AreEqual(expected, await fx.ReadFileAsync("/big.bin", Token), "the mount shows what was written");
    }

    private async Task<bool> StoredEqualsAsync(MemoryObjectStore store, string key, byte[] expected)
    {
        using var stored = new MemoryStream();
        await store.ReadToAsync(key, 0, null, stored, null, Token);
        return stored.ToArray().AsSpan().SequenceEqual(expected);
    }
}
