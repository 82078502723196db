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

    // Write-back delay of the chmod and rename tests: long beside the few calls from close to them, short beside Bound.
    private static readonly TimeSpan UploadDelay = TimeSpan.FromSeconds(5);

    private MemoryObjectStore _memory = null!;

    public TestContext TestContext { get; set; } = null!;

    private CancellationToken Token => TestContext.CancellationTokenSource.Token;

    [TestMethod]
    public async Task A_close_whose_fetch_of_missing_ranges_fails_is_uploaded_once_the_store_answers()
    {
        await CloseWhileTheStoreIsAwayAsync(async (fx, expected) =>
        {
            await WaitUntilStoredAsync("big.bin", expected);
            CollectionAssert.AreEqual(expected, await fx.ReadFileAsync("/big.bin", Token), "the mount shows what was written");
        });
    }

    [TestMethod]
    public async Task A_chmod_after_such_a_close_keeps_the_file_scheduled()
    {
        // The chmod cancels the upload the close scheduled (still in its write-back delay) and cannot make the file
        // durable either (the store is still away): it must schedule it again. The delay only has to outlast the
        // step from close to chmod for the test to see the bug; with the fix it passes whatever the timing.
        await CloseWhileTheStoreIsAwayAsync(writeBackDelay: UploadDelay, duringOutage: fx =>
            Assert.ThrowsAsync<ObjectStoreException>(() => fx.Engine.SetAttributesAsync("/big.bin", new AttributeChanges { Mode = 0x1A4 }, Token)),
            afterwards: async (fx, expected) =>
            {
                await WaitUntilStoredAsync("big.bin", expected);
                Assert.AreEqual(0x1A4, (await fx.Engine.GetAttributesAsync("/big.bin", Token)).Mode & 0xFFF);
            });
    }

    [TestMethod]
    public async Task A_failed_rename_after_such_a_close_keeps_the_file_scheduled()
    {
        // As for the chmod: the rename stops the upload the close scheduled, then fails to make the file durable.
        await CloseWhileTheStoreIsAwayAsync(writeBackDelay: UploadDelay, duringOutage: fx =>
            Assert.ThrowsAsync<FileSystemException>(() => fx.Engine.RenameAsync("/big.bin", "/moved.bin", noReplace: false, Token)),
            afterwards: (fx, expected) => WaitUntilStoredAsync("big.bin", expected));
    }

    /// <summary>
    /// Changes the start of a 3 MiB stored file, makes the store unreachable, closes (which must fail: the rest
    /// cannot be fetched), runs <paramref name="duringOutage"/>, brings the store back and runs <paramref name="afterwards"/>.
    /// </summary>
    private async Task CloseWhileTheStoreIsAwayAsync(Func<EngineFixture, byte[], Task> afterwards, Func<EngineFixture, Task>? duringOutage = null, TimeSpan? writeBackDelay = null)
    {
        var memory = _memory = new MemoryObjectStore();
        var original = new byte[3 * MiB];
        new Random(3).NextBytes(original);
        await memory.UploadAsync("big.bin", new MemoryUploadSource(original), null, Token);
        var faulty = new FaultInjectingObjectStore(memory, new FaultOptions());
        await using var fx = new EngineFixture(faulty, o => o with { WriteBackDelay = writeBackDelay ?? TimeSpan.Zero });

        // A small change at the start: the rest of the file is only in the store, and close must fetch it.
        var patch = "changed while the store was away"u8.ToArray();
        var handle = await fx.Engine.OpenAsync("/big.bin", OpenFlags.Write, Token);
        await handle.WriteAsync(0, patch, Token);
        await fx.Engine.ListDirectoryAsync("/", Token); // As a shell would have: names in "/" are known while the store is away.
        faulty.Unreachable = true;

        var error = await Assert.ThrowsAsync<FileSystemException>(() => handle.ReleaseAsync(Token), "close says the file could not be kept");
        Assert.AreEqual(FsError.Unavailable, error.Error, "the store was away (EIO through FUSE): " + error.Message);
        if (duringOutage is not null)
        {
            await duringOutage(fx);
        }

        Assert.AreEqual(0, fx.Engine.GetStatistics().UploadsDone, "nothing uploaded while the store was away");
        faulty.Unreachable = false;
        var expected = original.ToArray();
        patch.CopyTo(expected, 0);
        await afterwards(fx, expected);
        Assert.AreEqual(0, fx.Engine.GetStatistics().DirtyFiles, "nothing left pending");
    }

    private async Task WaitUntilStoredAsync(string key, byte[] expected)
    {
        var deadline = DateTime.UtcNow + Bound;
        while (!await StoredEqualsAsync(_memory, key, expected))
        {
            if (DateTime.UtcNow > deadline)
            {
                Assert.Fail($"the change never reached the store under '{key}' within {Bound.TotalSeconds} s of its return");
            }

            await Task.Delay(50, Token);
        }
    }

    private async Task<bool> StoredEqualsAsync(MemoryObjectStore store, string key, byte[] expected)
    {
        if (await store.HeadAsync(key, Token) is null)
        {
            return false;
        }

        using var stored = new MemoryStream();
        await store.ReadToAsync(key, 0, null, stored, null, Token);
        return stored.ToArray().AsSpan().SequenceEqual(expected);
    }
}
